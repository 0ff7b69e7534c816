// The one place that reads command-line flags and environment variables for `serve`.
// Everything is validated here; errors name the flag and what it accepts. The rest of the
// program receives a plain, frozen ServeSettings and never looks at process.env.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILTIN_CONFIG_DIR } from './config/load-dir.js';
import { clusterFromFlag, profileDir } from './cli/config-flags.js';
import { FlagValueError, parseNamespaceFlags, type NamespaceFlags } from './cli/namespace-flags.js';
import { DEFAULT_LIMITS, DEFAULT_SHUTDOWN, MAX_JSON_DEPTH } from './server/limit-defaults.js';

/** A usage error: the CLI prints the message and exits 2. */
export class SettingsError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How the server reaches Kubernetes. `none` = standalone (flags stand in for namespaces). */
export type KubeAccess =
  | { mode: 'in-cluster'; serviceHost: string; servicePort: string }
  | { mode: 'kubeconfig'; file: string; via: 'flag' | 'env' }
  | { mode: 'none' };

/** Where the configuration comes from. */
export type ConfigSourceSettings =
  | { kind: 'dir'; dir: string }
  | { kind: 'configmap'; namespace: string; name: string };

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

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

export const DEFAULT_NAMESPACE = 'sidecar-injector';
export const DEFAULT_CONFIGMAP = 'sidecar-injector';
export const DEFAULT_CA_OUT = path.join(os.tmpdir(), 'sidecar-injector-ca.crt');
const MiB = 1024 * 1024;

/** A default for the help text and the flag parsers: `3Mi`, `16Ki`. */
function size(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB}Mi` : bytes % 1024 === 0 ? `${bytes / 1024}Ki` : String(bytes);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  port: { type: 'string' },
  'metrics-port': { type: 'string' },
  address: { type: 'string' },
  'config-dir': { type: 'string' },
  profile: { type: 'string' },
  'kubernetes-version': { type: 'string' },
  configmap: { type: 'string' },
  kubeconfig: { type: 'string' },
  standalone: { type: 'boolean' },
  namespace: { type: 'string' },
  'service-name': { type: 'string' },
  'namespace-labels': { type: 'string' },
  'namespace-annotations': { type: 'string' },
  'tls-cert-file': { type: 'string' },
  'tls-key-file': { type: 'string' },
  'ca-out': { type: 'string' },
  'cert-poll-interval': { type: 'string' },
  'log-level': { type: 'string' },
  'max-body-bytes': { type: 'string' },
  'max-header-bytes': { type: 'string' },
  'request-timeout': { type: 'string' },
  'max-connections-per-client': { type: 'string' },
  'max-in-flight': { type: 'string' },
  'client-ca-file': { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  'shutdown-delay': { type: 'string' },
  events: { type: 'string' },
} as const;

export const SERVE_HELP = `Usage: sidecar-injector serve [flags]

Runs the admission webhook: HTTPS POST /inject, and plain HTTP /healthz, /readyz, /metrics.

Network
  --port N                    HTTPS webhook port (default 9443; 0 picks a free port)
  --metrics-port N            HTTP port for /healthz, /readyz, /metrics (default 8080)
  --address ADDR              address both ports listen on (default 0.0.0.0)

Kubernetes access (in a pod: its service account; else $KUBECONFIG; else standalone)
  --kubeconfig FILE           use this kubeconfig (overrides $KUBECONFIG)
  --standalone                never contact Kubernetes, even when a kubeconfig is available
  --namespace NS              the injector's own namespace (default $POD_NAMESPACE, then
                              the pod's service-account namespace, then ${DEFAULT_NAMESPACE})
  --service-name NAME         the webhook Service's name, for certificate SANs
                              (default sidecar-injector)

Configuration (reloaded live when it changes)
  --config-dir DIR            read config.yaml and *.template.yaml from DIR
                              (default with Kubernetes access: the ConfigMap; standalone:
                              the built-in templates/ folder)
  --configmap [NS/]NAME       watch this ConfigMap (default: ${DEFAULT_CONFIGMAP} in --namespace)
  --profile NAME              a built-in configuration folder: default (templates/) or
                              one of templates/profiles/ (instead of --config-dir)
  --kubernetes-version X.Y    the cluster's version for native-sidecar auto (default: the
                              nodes' kubelets, else the apiserver's; standalone: unknown)
  --namespace-labels k=v,...  standalone only: labels every namespace is taken to have
  --namespace-annotations k=v,...
                              standalone only: annotations every namespace is taken to have
                              (a part without "=" continues the previous value: a=x,y)

TLS (without files, a self-signed pair is generated at start)
  --tls-cert-file FILE        serving certificate (PEM); reloaded when it changes
  --tls-key-file FILE         its private key (PEM); both or neither
  --ca-out FILE               where the generated CA certificate is written
                              (default ${DEFAULT_CA_OUT})
  --cert-poll-interval DUR    how often the certificate files are checked besides change
                              events (default 10s)
  --client-ca-file FILE       require callers of the webhook port to present a client
                              certificate signed by a CA in FILE (PEM); reloaded when it
                              changes. The apiserver presents one when its admission config
                              names a kubeconfig for the webhook (see README). Default: off

Limits (webhook port; the health/metrics port has fixed ones, see README "Limits")
  --max-body-bytes SIZE       largest AdmissionReview accepted, bytes or with Ki/Mi suffix
                              (default ${size(DEFAULT_LIMITS.maxBodyBytes)}, the apiserver's own request limit); larger
                              bodies get 413. Bodies nested over ${MAX_JSON_DEPTH} levels get 400
  --max-header-bytes SIZE     largest request line plus headers (default ${size(DEFAULT_LIMITS.maxHeaderBytes)}); larger get 431
  --request-timeout DUR       headers and body must arrive within this time (default ${seconds(DEFAULT_LIMITS.requestTimeoutMs)});
                              slower requests get 408 and their connection is closed
  --max-connections-per-client N
                              open connections one remote address may hold (default ${DEFAULT_LIMITS.maxConnectionsPerClient},
                              above the apiserver's 25 idle connections per host); more are
                              closed at once. 0: no cap
  --max-in-flight N           admissions handled at once (default ${DEFAULT_LIMITS.maxInFlight}); more get an
                              immediate 503 with Retry-After, which the apiserver treats as
                              a webhook failure (failurePolicy applies). 0: no cap

Operation
  --log-level LEVEL           ${LOG_LEVELS.join('|')} (default info; env LOG_LEVEL)
  --shutdown-delay DUR        after SIGTERM, keep serving this long with /readyz failing,
                              so endpoints are removed before the listener closes and idle
                              keep-alive clients are not reset (default ${seconds(DEFAULT_SHUTDOWN.delayMs)}, or half of
                              a shorter --shutdown-timeout)
  --shutdown-timeout DUR      after SIGTERM, exit non-zero if in-flight requests have not
                              finished within this time (default ${seconds(DEFAULT_SHUTDOWN.timeoutMs)})
  --events true|false         record Kubernetes Events for injected, skipped and refused
                              pods (default true; only with Kubernetes access)
  -h, --help                  show this help

Durations: a number with ms, s or m (a bare number means seconds).
Environment: POD_NAMESPACE, KUBECONFIG, LOG_LEVEL, KUBERNETES_SERVICE_HOST/PORT (in-cluster).
`;

type Env = Readonly<Record<string, string | undefined>>;

/** Where Kubernetes mounts the pod's namespace next to its service-account token. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * Reads `serve`'s flags and the environment (and, in a pod without POD_NAMESPACE, its
 * service-account namespace file). Throws SettingsError (exit code 2).
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

/** Parses and validates `serve`'s flags (pure). Throws SettingsError (exit code 2). */
export function parseServeArgs(argv: readonly string[], env: Env, serviceAccountNamespace?: string): ParsedServeArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new SettingsError(`${(err as Error).message}. Run "sidecar-injector serve --help" for the accepted flags.`);
  }
  if (values.help) return { help: true };
  const str = (name: keyof typeof OPTIONS): string | undefined => values[name] as string | undefined;

  const standalone = values.standalone === true;
  const kubeconfig = str('kubeconfig') ?? nonEmpty(env.KUBECONFIG);
  if (standalone && str('kubeconfig') !== undefined) {
    throw new SettingsError('--kubeconfig and --standalone exclude each other: pick one.');
  }
  const serviceHost = nonEmpty(env.KUBERNETES_SERVICE_HOST);
  const servicePort = nonEmpty(env.KUBERNETES_SERVICE_PORT);
  const kube: KubeAccess = standalone ? { mode: 'none' }
    : str('kubeconfig') !== undefined ? { mode: 'kubeconfig', file: str('kubeconfig')!, via: 'flag' }
      : serviceHost && servicePort ? { mode: 'in-cluster', serviceHost, servicePort }
        : kubeconfig !== undefined ? { mode: 'kubeconfig', file: kubeconfig, via: 'env' }
          : { mode: 'none' };

  const namespaceFlag = str('namespace') ?? nonEmpty(env.POD_NAMESPACE)
    ?? (kube.mode === 'in-cluster' ? serviceAccountNamespace : undefined);
  const namespace = namespaceFlag ?? DEFAULT_NAMESPACE;
  checkDnsLabel('--namespace', namespace);
  const serviceName = str('service-name') ?? 'sidecar-injector';
  checkDnsLabel('--service-name', serviceName);

  const profile = str('profile');
  if (profile !== undefined && (str('config-dir') !== undefined || str('configmap') !== undefined)) {
    throw new SettingsError('--profile excludes --config-dir and --configmap: pick one source of configuration.');
  }
  let configDir = str('config-dir');
  try {
    if (profile !== undefined) configDir = profileDir(profile);
  } catch (err) {
    if (err instanceof FlagValueError) throw new SettingsError(`${err.message}.`);
    throw err;
  }
  const versionFlag = str('kubernetes-version');
  let kubernetesVersion: string | undefined;
  try {
    kubernetesVersion = versionFlag === undefined ? undefined : clusterFromFlag(versionFlag).kubernetesVersion ?? undefined;
  } catch (err) {
    if (err instanceof FlagValueError) throw new SettingsError(`${err.message}.`);
    throw err;
  }
  const configMap = str('configmap');
  if (configDir !== undefined && configMap !== undefined) {
    throw new SettingsError('--config-dir and --configmap exclude each other: pick one source of configuration.');
  }
  if (configDir === '') throw new SettingsError('--config-dir: expected a directory path, got an empty string.');
  let config: ConfigSourceSettings;
  if (configMap !== undefined) {
    if (kube.mode === 'none') {
      throw new SettingsError('--configmap needs Kubernetes access (in a pod, --kubeconfig or $KUBECONFIG); use --config-dir when standalone.');
    }
    config = { kind: 'configmap', ...parseConfigMapRef(configMap, namespace) };
  } else if (configDir !== undefined) {
    config = { kind: 'dir', dir: path.resolve(configDir) };
  } else if (kube.mode !== 'none') {
    config = { kind: 'configmap', namespace, name: DEFAULT_CONFIGMAP };
  } else {
    config = { kind: 'dir', dir: BUILTIN_CONFIG_DIR };
  }

  let namespaceFlags: NamespaceFlags;
  try {
    // The same reading as `inject` and `explain`.
    namespaceFlags = parseNamespaceFlags({ 'namespace-labels': str('namespace-labels'), 'namespace-annotations': str('namespace-annotations') });
  } catch (err) {
    if (err instanceof FlagValueError) throw new SettingsError(`${err.message}.`);
    throw err;
  }
  if (kube.mode !== 'none') {
    for (const flag of ['namespace-labels', 'namespace-annotations'] as const) {
      if (str(flag) !== undefined) {
        throw new SettingsError(`--${flag} only applies standalone (namespaces are read from Kubernetes here); add --standalone to use it.`);
      }
    }
  }

  const certFile = str('tls-cert-file');
  const keyFile = str('tls-key-file');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new SettingsError(`--tls-cert-file and --tls-key-file go together: ${certFile === undefined ? '--tls-cert-file' : '--tls-key-file'} is missing.`);
  }
  if (certFile === '' || keyFile === '') throw new SettingsError('--tls-cert-file/--tls-key-file: expected file paths, got an empty string.');
  const tls = certFile !== undefined && keyFile !== undefined
    ? { certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) } : undefined;

  const clientCaFile = str('client-ca-file');
  if (clientCaFile === '') throw new SettingsError('--client-ca-file: expected a file path, got an empty string.');

  const logLevelText = str('log-level') ?? nonEmpty(env.LOG_LEVEL) ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevelText)) {
    throw new SettingsError(`--log-level: "${logLevelText}" is not a level; expected one of ${LOG_LEVELS.join(', ')}.`);
  }

  const shutdownTimeoutMs = parseDuration('--shutdown-timeout', str('shutdown-timeout') ?? seconds(DEFAULT_SHUTDOWN.timeoutMs), 100, 3_600_000);
  const settings: ServeSettings = {
    port: parsePort('--port', str('port') ?? '9443'),
    metricsPort: parsePort('--metrics-port', str('metrics-port') ?? '8080'),
    address: parseAddress(str('address') ?? '0.0.0.0'),
    kube,
    config,
    namespace,
    serviceName,
    namespaceLabels: namespaceFlags.labels,
    namespaceAnnotations: namespaceFlags.annotations,
    tls,
    caOut: path.resolve(str('ca-out') ?? DEFAULT_CA_OUT),
    certPollIntervalMs: parseDuration('--cert-poll-interval', str('cert-poll-interval') ?? '10s', 100, 3_600_000),
    logLevel: logLevelText as LogLevel,
    maxBodyBytes: parseByteSize('--max-body-bytes', str('max-body-bytes') ?? size(DEFAULT_LIMITS.maxBodyBytes)),
    maxHeaderBytes: parseByteSize('--max-header-bytes', str('max-header-bytes') ?? size(DEFAULT_LIMITS.maxHeaderBytes), 1024, MiB),
    requestTimeoutMs: parseDuration('--request-timeout', str('request-timeout') ?? seconds(DEFAULT_LIMITS.requestTimeoutMs), 100, 30_000),
    maxConnectionsPerClient: parseCount('--max-connections-per-client', str('max-connections-per-client') ?? String(DEFAULT_LIMITS.maxConnectionsPerClient)),
    maxInFlight: parseCount('--max-in-flight', str('max-in-flight') ?? String(DEFAULT_LIMITS.maxInFlight)),
    clientCaFile: clientCaFile === undefined ? undefined : path.resolve(clientCaFile),
    shutdownTimeoutMs,
    // Unset, the delay must not make a short --shutdown-timeout an error: half of it then.
    shutdownDelayMs: str('shutdown-delay') === undefined
      ? Math.min(DEFAULT_SHUTDOWN.delayMs, Math.floor(shutdownTimeoutMs / 2))
      : parseDuration('--shutdown-delay', str('shutdown-delay')!, 0, 600_000),
    ...(kubernetesVersion !== undefined ? { kubernetesVersion } : {}),
    events: parseEventsFlag(str('events')),
  };
  if (settings.port !== 0 && settings.port === settings.metricsPort) {
    throw new SettingsError(`--port and --metrics-port are both ${settings.port}; they need different ports.`);
  }
  if (settings.shutdownDelayMs >= settings.shutdownTimeoutMs) {
    throw new SettingsError('--shutdown-delay must be shorter than --shutdown-timeout (the delay counts against the timeout).');
  }
  return { help: false, settings: Object.freeze(settings) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function parsePort(flag: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new SettingsError(`${flag}: "${text}" is not a port; expected an integer 0-65535.`);
  }
  return Number(text);
}

function parseAddress(text: string): string {
  if (text === '' || /\s/.test(text)) {
    throw new SettingsError(`--address: "${text}" is not an address; expected an IP address or host name, e.g. 0.0.0.0 or 127.0.0.1.`);
  }
  return text;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function checkDnsLabel(flag: string, text: string): void {
  if (!DNS_LABEL.test(text)) {
    throw new SettingsError(`${flag}: "${text}" is not a valid name; expected a DNS label (lowercase letters, digits and "-", at most 63 characters).`);
  }
}

function parseConfigMapRef(text: string, defaultNamespace: string): { namespace: string; name: string } {
  const parts = text.split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new SettingsError(`--configmap: "${text}" is not a ConfigMap reference; expected NAME or NAMESPACE/NAME.`);
  }
  const [namespace, name] = parts.length === 2 ? parts : [defaultNamespace, parts[0]];
  checkDnsLabel('--configmap namespace', namespace);
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) {
    throw new SettingsError(`--configmap: "${name}" is not a valid ConfigMap name; expected a DNS subdomain (lowercase letters, digits, "-" and ".").`);
  }
  return { namespace, name };
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;

/** Parses `500ms`, `10s`, `2m` or a bare number of seconds into milliseconds. */
export function parseDuration(flag: string, text: string, minMs: number, maxMs: number): number {
  const m = DURATION.exec(text.trim());
  const unit = m?.[2] ?? 's';
  const ms = m ? Math.round(Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000)) : NaN;
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
    throw new SettingsError(`${flag}: "${text}" is not an accepted duration; expected a number with ms, s or m between ${minMs}ms and ${maxMs / 1000}s, e.g. 25s.`);
  }
  return ms;
}

const BYTE_SIZE = /^(\d+)(Ki|Mi|KiB|MiB)?$/;

/** Parses a byte count with an optional Ki/Mi suffix; bounds 1 KiB to 64 MiB unless given. */
export function parseByteSize(flag: string, text: string, min = 1024, max = 64 * MiB): number {
  const m = BYTE_SIZE.exec(text.trim());
  const bytes = m ? Number(m[1]) * (m[2]?.startsWith('Mi') ? MiB : m[2]?.startsWith('Ki') ? 1024 : 1) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) {
    throw new SettingsError(`${flag}: "${text}" is not an accepted size; expected bytes between ${sizeText(min)} and ${sizeText(max)}, optionally with a Ki or Mi suffix, e.g. 8Mi.`);
  }
  return bytes;
}

function sizeText(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB}Mi` : String(bytes);
}

/** A limit: a whole number up to a million, 0 meaning no limit. */
function parseCount(flag: string, text: string): number {
  if (!/^\d{1,7}$/.test(text.trim())) {
    throw new SettingsError(`${flag}: "${text}" is not an accepted count; expected a whole number 0-9999999 (0: no limit).`);
  }
  return Number(text.trim());
}

function parseEventsFlag(text: string | undefined): boolean {
  if (text === undefined || text === 'true') return true;
  if (text === 'false') return false;
  throw new SettingsError(`--events: "${text}" is not a boolean; expected true or false.`);
}
