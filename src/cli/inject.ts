// `sidecar-injector inject -f FILE|-`: the manifests, with the sidecar injected into the
// pods and pod templates the configuration selects, on standard output. Also the input
// handling `explain` shares: flags, reading the file, the config, evaluating each pod.
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, compileSnapshot } from '../config/compile.js';
import { BUILTIN_CONFIG_DIR, ConfigDirError, loadConfigDir } from '../config/load-dir.js';
import type { ClusterInfo } from '../injection/native-sidecar.js';
import { applyOutcome, evaluatePod, type InjectionOutcome } from '../injection/engine.js';
import type { Snapshot } from '../injection/types.js';
import {
  describeSite, InputError, locatePods, parseInput, type DocumentEdit, type ParsedInput, type PathSegment, type PodSite,
} from './documents.js';
import { applySetFlags, clusterFromFlag, CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_HELP, configDirOf } from './config-flags.js';
import { FlagValueError, NAMESPACE_FLAG_OPTIONS, parseNamespaceFlags, type NamespaceFlags } from './namespace-flags.js';

/** Where a command reads and writes: `process`, or streams in tests. */
export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** A command line that cannot be run: exit code 2, with the command's usage. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Flags `inject` and `explain` both take. */
export const INPUT_OPTIONS = {
  filename: { type: 'string', short: 'f', multiple: true },
  'config-dir': { type: 'string' },
  ...NAMESPACE_FLAG_OPTIONS,
  ...CONFIG_FLAG_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const;

export const INPUT_FLAGS_HELP = `  -f, --filename FILE|-       the manifests (YAML or JSON; several documents, Lists);
                              - reads standard input
      --config-dir DIR        config.yaml and *.template.yaml to use
                              (default: the built-in ${BUILTIN_CONFIG_DIR})
      --namespace-labels k=v,...
                              labels the pods' namespace is taken to have,
                              e.g. sidecar-injection=enabled
      --namespace-annotations k=v,...
                              annotations the pods' namespace is taken to have
                              (defaults for the pods' sidecar-injector.io/ settings;
                              a part without "=" continues the previous value: k=a,b)
${CONFIG_FLAGS_HELP}`;
export const HELP_FLAG_HELP = '  -h, --help                  show this help\n';

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

type ParseOptions = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its errors turned into UsageError. */
export function parseCommandArgs<O extends ParseOptions>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw err;
    // Node's first sentence says what is wrong; the rest is advice for other programs.
    throw new UsageError((err as Error).message.split('\n')[0].replace(/\. (To specify|This command).*$/, ''));
  }
}

/** Everything a command needs to evaluate the pods of one input. */
export interface PreparedInput {
  input: ParsedInput;
  sites: PodSite[];
  snapshot: Snapshot;
  namespace: NamespaceFlags;
  /** What the cluster is taken to be (--kubernetes-version). */
  cluster: ClusterInfo;
}

export interface InputValues {
  filename?: string[];
  'config-dir'?: string;
  'namespace-labels'?: string;
  'namespace-annotations'?: string;
  profile?: string;
  set?: string[];
  'kubernetes-version'?: string;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function readSource(file: string, io: CliIo): Promise<{ source: string; text: string }> {
  if (file === '-') return { source: '<stdin>', text: await readAll(io.stdin) };
  try {
    return { source: file, text: await readFile(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file'
      : code === 'EISDIR' ? 'it is a directory; expected a YAML or JSON file'
        : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new InputError({ source: file }, `cannot read: ${why}`);
  }
}

/** Checks the flags, reads the input and the config, finds the pods. Throws the CLI's errors. */
export async function prepareInput(values: InputValues, io: CliIo): Promise<PreparedInput> {
  const files = values.filename ?? [];
  if (files.length === 0) throw new UsageError('missing -f FILE (use -f - to read standard input)');
  if (files.length > 1) throw new UsageError(`-f given ${files.length} times; give one file, or - for standard input`);
  const namespace = parseNamespaceFlags(values);
  const cluster = clusterFromFlag(values['kubernetes-version']);
  const configDir = configDirOf(values);
  const { source, text } = await readSource(files[0], io);
  const snapshot = compileSnapshot(applySetFlags(await loadConfigDir(configDir), values.set));
  const input = parseInput(text, source);
  const sites = input.documents.flatMap((doc) => locatePods(doc, source));
  return { input, sites, snapshot, namespace, cluster };
}

export interface PodResult {
  site: PodSite;
  outcome: InjectionOutcome;
}

/** Every pod is judged as a Pod CREATE in its object's namespace, which has the flags' labels. */
export function evaluateSites(prepared: PreparedInput): PodResult[] {
  const { labels, annotations } = prepared.namespace;
  return prepared.sites.map((site) => ({
    site,
    outcome: evaluatePod(site.pod, { name: site.object.namespace, labels, annotations }, prepared.snapshot, { kind: 'Pod', operation: 'CREATE' }, { cluster: prepared.cluster }),
  }));
}

/** Prints an error the CLI expects and returns its exit code; rethrows anything else. */
export function reportError(err: unknown, io: CliIo, command: string, usage: string): number {
  if (err instanceof UsageError || err instanceof FlagValueError) {
    io.stderr.write(`sidecar-injector ${command}: ${err.message}\n\n${usage}`);
    return 2;
  }
  if (err instanceof ConfigError || err instanceof ConfigDirError) {
    io.stderr.write(`error: invalid configuration: ${err.message}\n`);
    return 1;
  }
  if (err instanceof InputError) {
    io.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
  throw err;
}

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
    if (values.help) {
      io.stdout.write(INJECT_USAGE);
      return 0;
    }
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
