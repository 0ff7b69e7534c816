// The one place that reads command-line flags and environment variables for `serve`.
// Everything is validated here; errors name the flag and what it accepts. The rest of the
// program receives a plain, frozen ServeSettings and never looks at process.env.
// The flags themselves and the help: serve-help.ts; the value parsers: flag-values.ts.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decideKubeAccess, nonEmpty, type KubeAccess } from '../cluster/kube-access.js';
import { BUILTIN_CONFIG_DIR } from '../config/load-dir.js';
import { DEFAULT_LIMITS, DEFAULT_SHUTDOWN } from '../server/limit-defaults.js';
import { LOG_LEVELS, type LogLevel } from '../server/logger.js';
import type { TlsFiles } from '../server/tls.js';
import { UsageError } from './command.js';
import { clusterFromFlag, profileDir } from './config-flags.js';
import {
  checkDnsLabel, formatDuration, formatSize, parseAddress, parseBooleanFlag, parseByteSize,
  parseConfigMapRef, parseCount, parseDuration, parsePort,
} from './flag-values.js';
import { FlagValueError, parseNamespaceFlags, type NamespaceFlags } from './namespace-flags.js';
import {
  DEFAULT_ADDRESS, DEFAULT_CA_OUT, DEFAULT_CERT_POLL, DEFAULT_CONFIGMAP, DEFAULT_METRICS_PORT, DEFAULT_NAMESPACE,
  DEFAULT_PORT, DEFAULT_SERVICE_NAME, SERVE_OPTIONS,
} from './serve-help.js';

export { SERVE_HELP } from './serve-help.js';

/** Where the configuration comes from. */
export type ConfigSourceSettings =
  | { kind: 'dir'; dir: string }
  | { kind: 'configmap'; namespace: string; name: string };

export interface ServeSettings {
  readonly port: number;
  readonly metricsPort: number;
  readonly address: string;
  readonly kube: KubeAccess;
  readonly config: ConfigSourceSettings;
  /** The injector's own namespace (always ignored for injection; part of the certificate SANs). */
  readonly namespace: string;
  readonly serviceName: string;
  /** Standalone stand-ins for every namespace's labels and annotations. */
  readonly namespaceLabels: Readonly<Record<string, string>>;
  readonly namespaceAnnotations: Readonly<Record<string, string>>;
  /** Absent: a self-signed certificate is generated at start. */
  readonly tls?: TlsFiles;
  /** Where the generated CA certificate is written (only without `tls`). */
  readonly caOut: string;
  readonly certPollIntervalMs: number;
  readonly logLevel: LogLevel;
  readonly maxBodyBytes: number;
  /** Largest request head (request line and headers) the webhook port reads. */
  readonly maxHeaderBytes: number;
  /** Time a request's headers and body have to arrive in. */
  readonly requestTimeoutMs: number;
  /** Open connections allowed from one remote address at once; 0: no cap. */
  readonly maxConnectionsPerClient: number;
  /** Admissions handled at once; more are answered 503 at once. 0: no cap. */
  readonly maxInFlight: number;
  /** Present: the webhook port requires a client certificate signed by a CA in this file. */
  readonly clientCaFile?: string;
  readonly shutdownTimeoutMs: number;
  readonly shutdownDelayMs: number;
  /** --kubernetes-version ("1.29"): the cluster as taken to be, instead of asking the apiserver. */
  readonly kubernetesVersion?: string;
  /** Record Kubernetes Events for injected, skipped and refused pods (needs Kubernetes access). */
  readonly events: boolean;
}

export type ParsedServeArgs = { help: true } | { help: false; settings: ServeSettings };

type Env = Readonly<Record<string, string | undefined>>;

/** Where Kubernetes mounts the pod's namespace next to its service-account token. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * Reads `serve`'s flags and the environment (and, in a pod without POD_NAMESPACE, its
 * service-account namespace file). Throws UsageError (exit code 2).
 */
export function loadServeSettings(argv: readonly string[]): ParsedServeArgs {
  const env = process.env;
  let saNamespace: string | undefined;
  if (env.KUBERNETES_SERVICE_HOST && !env.POD_NAMESPACE) {
    try {
      saNamespace = readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, 'utf8').trim() || undefined;
    } catch {
      saNamespace = undefined; // not mounted: fall back to the default
    }
  }
  return parseServeArgs(argv, env, saNamespace);
}

/** A FlagValueError of a shared flag reader, as serve's usage error (a sentence). */
function asServeError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof FlagValueError) throw new UsageError(`${err.message}.`);
    throw err;
  }
}

/** Parses and validates `serve`'s flags (pure). Throws UsageError (exit code 2). */
export function parseServeArgs(argv: readonly string[], env: Env, serviceAccountNamespace?: string): ParsedServeArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: SERVE_OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. Run "sidecar-injector serve --help" for the accepted flags.`);
  }
  if (values.help) return { help: true };
  const str = (name: string): string | undefined => values[name] as string | undefined;

  const standalone = values.standalone === true;
  if (standalone && str('kubeconfig') !== undefined) {
    throw new UsageError('--kubeconfig and --standalone exclude each other: pick one.');
  }
  const kube = decideKubeAccess({ kubeconfig: str('kubeconfig'), standalone }, env);

  const namespaceFlag = str('namespace') ?? nonEmpty(env.POD_NAMESPACE)
    ?? (kube.mode === 'in-cluster' ? serviceAccountNamespace : undefined);
  const namespace = namespaceFlag ?? DEFAULT_NAMESPACE;
  checkDnsLabel('--namespace', namespace);
  const serviceName = str('service-name') ?? DEFAULT_SERVICE_NAME;
  checkDnsLabel('--service-name', serviceName);

  const config = configSource(str, kube, namespace);
  const versionFlag = str('kubernetes-version');
  const kubernetesVersion = asServeError(() =>
    versionFlag === undefined ? undefined : clusterFromFlag(versionFlag).kubernetesVersion ?? undefined);

  // The same reading as `inject` and `explain`.
  const namespaceFlags: NamespaceFlags = asServeError(() =>
    parseNamespaceFlags({ 'namespace-labels': str('namespace-labels'), 'namespace-annotations': str('namespace-annotations') }));
  if (kube.mode !== 'none') {
    for (const flag of ['namespace-labels', 'namespace-annotations'] as const) {
      if (str(flag) !== undefined) {
        throw new UsageError(`--${flag} only applies standalone (namespaces are read from Kubernetes here); add --standalone to use it.`);
      }
    }
  }

  const certFile = str('tls-cert-file');
  const keyFile = str('tls-key-file');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError(`--tls-cert-file and --tls-key-file go together: ${certFile === undefined ? '--tls-cert-file' : '--tls-key-file'} is missing.`);
  }
  if (certFile === '' || keyFile === '') throw new UsageError('--tls-cert-file/--tls-key-file: expected file paths, got an empty string.');
  const tls = certFile !== undefined && keyFile !== undefined
    ? { certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) } : undefined;

  const clientCaFile = str('client-ca-file');
  if (clientCaFile === '') throw new UsageError('--client-ca-file: expected a file path, got an empty string.');

  const logLevelText = str('log-level') ?? nonEmpty(env.LOG_LEVEL) ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevelText)) {
    throw new UsageError(`--log-level: "${logLevelText}" is not a level; expected one of ${LOG_LEVELS.join(', ')}.`);
  }

  const shutdownTimeoutMs = parseDuration('--shutdown-timeout', str('shutdown-timeout') ?? formatDuration(DEFAULT_SHUTDOWN.timeoutMs), 100, 3_600_000);
  const settings: ServeSettings = {
    port: parsePort('--port', str('port') ?? String(DEFAULT_PORT)),
    metricsPort: parsePort('--metrics-port', str('metrics-port') ?? String(DEFAULT_METRICS_PORT)),
    address: parseAddress(str('address') ?? DEFAULT_ADDRESS),
    kube,
    config,
    namespace,
    serviceName,
    namespaceLabels: namespaceFlags.labels,
    namespaceAnnotations: namespaceFlags.annotations,
    tls,
    caOut: path.resolve(str('ca-out') ?? DEFAULT_CA_OUT),
    certPollIntervalMs: parseDuration('--cert-poll-interval', str('cert-poll-interval') ?? DEFAULT_CERT_POLL, 100, 3_600_000),
    logLevel: logLevelText as LogLevel,
    maxBodyBytes: parseByteSize('--max-body-bytes', str('max-body-bytes') ?? formatSize(DEFAULT_LIMITS.maxBodyBytes)),
    maxHeaderBytes: parseByteSize('--max-header-bytes', str('max-header-bytes') ?? formatSize(DEFAULT_LIMITS.maxHeaderBytes), 1024, 1024 * 1024),
    requestTimeoutMs: parseDuration('--request-timeout', str('request-timeout') ?? formatDuration(DEFAULT_LIMITS.requestTimeoutMs), 100, 30_000),
    maxConnectionsPerClient: parseCount('--max-connections-per-client', str('max-connections-per-client') ?? String(DEFAULT_LIMITS.maxConnectionsPerClient)),
    maxInFlight: parseCount('--max-in-flight', str('max-in-flight') ?? String(DEFAULT_LIMITS.maxInFlight)),
    clientCaFile: clientCaFile === undefined ? undefined : path.resolve(clientCaFile),
    shutdownTimeoutMs,
    // Unset, the delay must not make a short --shutdown-timeout an error: half of it then.
    shutdownDelayMs: str('shutdown-delay') === undefined
      ? Math.min(DEFAULT_SHUTDOWN.delayMs, Math.floor(shutdownTimeoutMs / 2))
      : parseDuration('--shutdown-delay', str('shutdown-delay')!, 0, 600_000),
    ...(kubernetesVersion !== undefined ? { kubernetesVersion } : {}),
    events: parseBooleanFlag('--events', str('events'), true),
  };
  if (settings.port !== 0 && settings.port === settings.metricsPort) {
    throw new UsageError(`--port and --metrics-port are both ${settings.port}; they need different ports.`);
  }
  if (settings.shutdownDelayMs >= settings.shutdownTimeoutMs) {
    throw new UsageError('--shutdown-delay must be shorter than --shutdown-timeout (the delay counts against the timeout).');
  }
  return { help: false, settings: Object.freeze(settings) };
}

/** --config-dir, --configmap or --profile; by default the ConfigMap with Kubernetes access, else the built-in folder. */
function configSource(str: (name: string) => string | undefined, kube: KubeAccess, namespace: string): ConfigSourceSettings {
  const profile = str('profile');
  if (profile !== undefined && (str('config-dir') !== undefined || str('configmap') !== undefined)) {
    throw new UsageError('--profile excludes --config-dir and --configmap: pick one source of configuration.');
  }
  const configDir = profile !== undefined ? asServeError(() => profileDir(profile)) : str('config-dir');
  const configMap = str('configmap');
  if (configDir !== undefined && configMap !== undefined) {
    throw new UsageError('--config-dir and --configmap exclude each other: pick one source of configuration.');
  }
  if (configDir === '') throw new UsageError('--config-dir: expected a directory path, got an empty string.');
  if (configMap !== undefined) {
    if (kube.mode === 'none') {
      throw new UsageError('--configmap needs Kubernetes access (in a pod, --kubeconfig or $KUBECONFIG); use --config-dir when standalone.');
    }
    return { kind: 'configmap', ...parseConfigMapRef(configMap, namespace) };
  }
  if (configDir !== undefined) return { kind: 'dir', dir: path.resolve(configDir) };
  if (kube.mode !== 'none') return { kind: 'configmap', namespace, name: DEFAULT_CONFIGMAP };
  return { kind: 'dir', dir: BUILTIN_CONFIG_DIR };
}
