// The input `inject`, `explain` (and `check`) share: the flags naming it, reading the file
// or standard input and the configuration, finding the pods, and evaluating each of them.
import { readFile } from 'node:fs/promises';
import { compileSnapshot } from '../../config/compile.js';
import { BUILTIN_CONFIG_DIR, loadConfigDir } from '../../config/load-dir.js';
import { evaluatePod, type InjectionOutcome } from '../../injection/engine.js';
import type { ClusterInfo } from '../../injection/native-sidecar.js';
import type { Snapshot } from '../../injection/types.js';
import { UsageError, type CliIo } from '../command.js';
import { applySetFlags, clusterFromFlag, CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_HELP, configDirOf } from '../config-flags.js';
import { NAMESPACE_FLAG_OPTIONS, parseNamespaceFlags, type NamespaceFlags } from '../namespace-flags.js';
import { parseInput } from '../documents.js';
import { locatePods, type PodSite } from './pods.js';
import type { ParsedInput } from './stream.js';
import { InputError } from './where.js';

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
