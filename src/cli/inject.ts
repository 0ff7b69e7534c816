// `sidecar-injector inject -f FILE|-`: the manifests, with the sidecar injected into the
// pods and pod templates the configuration selects, on standard output.
import { applyOutcome } from '../injection/engine.js';
import { HELP_FLAG_HELP, helpRequested, parseCommandArgs, reportError, type CliIo } from './command.js';
import { describeSite, type DocumentEdit, type ParsedInput, type PathSegment } from './documents.js';
import { evaluateSites, INPUT_FLAGS_HELP, INPUT_OPTIONS, prepareInput, type PodResult } from './input/read.js';

// Where these lived before: other commands may still import them from here.
export { HELP_FLAG_HELP, parseCommandArgs, reportError, UsageError, type CliIo } from './command.js';
export {
  evaluateSites, INPUT_FLAGS_HELP, INPUT_OPTIONS, prepareInput, type InputValues, type PodResult, type PreparedInput,
} from './input/read.js';

export const INJECT_USAGE = `Usage: sidecar-injector inject -f FILE|- [flags]

Writes the objects in FILE to standard output with the sidecar injected into each pod and
pod template the configuration selects: Pod, Deployment, StatefulSet, DaemonSet,
ReplicaSet, ReplicationController, Job, CronJob. Other objects, and pods that are not
injected, are written unchanged, in order. Running it again on its output changes nothing.
A pod's namespace is its object's metadata.namespace, else "default".

Flags
${INPUT_FLAGS_HELP}${HELP_FLAG_HELP}
Exit codes: 0 done; 1 invalid input or configuration, or a pod the injector refuses
(nothing is written, the reasons go to standard error); 2 usage error.
`;

function setAt(root: unknown, path: PathSegment[], value: unknown): unknown {
  if (path.length === 0) return value;
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  parent[path[path.length - 1]] = value;
  return root;
}

/** The new text of each document with an injected pod, keyed by document index. */
function documentEdits(input: ParsedInput, results: PodResult[]): Map<number, DocumentEdit> {
  const edits = new Map<number, DocumentEdit>();
  for (const { site, outcome } of results) {
    if (!outcome.plan) continue;
    let edit = edits.get(site.document);
    if (!edit) {
      edit = { value: structuredClone(input.documents[site.document - 1].value), sites: [] };
      edits.set(site.document, edit);
    }
    edit.value = setAt(edit.value, site.path, applyOutcome(site.pod, outcome));
    edit.sites.push({ path: site.path, patch: outcome.patch });
  }
  return edits;
}

export async function runInject(argv: string[], io: CliIo): Promise<number> {
  try {
    const { values } = parseCommandArgs(argv, INPUT_OPTIONS);
    if (helpRequested(values, INJECT_USAGE, io)) return 0;
    const prepared = await prepareInput(values, io);
    const results = evaluateSites(prepared);
    for (const { site, outcome } of results) {
      for (const warning of outcome.warnings) io.stderr.write(`warning: ${describeSite(site)}: ${warning}\n`);
    }
    const denied = results.filter((r) => r.outcome.denial !== undefined);
    for (const { site, outcome } of denied) io.stderr.write(`error: ${describeSite(site)}: ${outcome.denial}\n`);
    if (denied.length > 0) return 1;
    io.stdout.write(prepared.input.render(documentEdits(prepared.input, results)));
    return 0;
  } catch (err) {
    return reportError(err, io, 'inject', INJECT_USAGE);
  }
}
