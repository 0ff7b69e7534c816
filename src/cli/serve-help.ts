// `serve`'s flags in one table: node:util's parse options and `serve --help` are both
// generated from it, and the defaults it prints are the constants the parser and the
// server use (limits: src/server/limit-defaults.ts).
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_LIMITS, DEFAULT_SHUTDOWN, MAX_JSON_DEPTH } from '../server/limit-defaults.js';
import { LOG_LEVELS } from '../server/logger.js';
import { formatDuration, formatSize } from './flag-values.js';

export const DEFAULT_NAMESPACE = 'sidecar-injector';
export const DEFAULT_CONFIGMAP = 'sidecar-injector';
export const DEFAULT_SERVICE_NAME = 'sidecar-injector';
export const DEFAULT_CA_OUT = path.join(os.tmpdir(), 'sidecar-injector-ca.crt');
export const DEFAULT_PORT = 9443;
export const DEFAULT_METRICS_PORT = 8080;
export const DEFAULT_ADDRESS = '0.0.0.0';
export const DEFAULT_CERT_POLL = '10s';

interface FlagRow {
  name: string;
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in the help: `N`, `FILE`. */
  arg?: string;
  /** The help text, one entry per line. */
  help: string[];
}

const flag = (name: string, arg: string | undefined, ...help: string[]): FlagRow =>
  ({ name, type: arg === undefined ? 'boolean' : 'string', arg, help });

const SECTIONS: ReadonlyArray<{ title: string; flags: FlagRow[] }> = [
  { title: 'Network', flags: [
    flag('port', 'N', `HTTPS webhook port (default ${DEFAULT_PORT}; 0 picks a free port)`),
    flag('metrics-port', 'N', `HTTP port for /healthz, /readyz, /metrics (default ${DEFAULT_METRICS_PORT})`),
    flag('address', 'ADDR', `address both ports listen on (default ${DEFAULT_ADDRESS})`),
  ] },
  { title: 'Kubernetes access (in a pod: its service account; else $KUBECONFIG; else standalone)', flags: [
    flag('kubeconfig', 'FILE', 'use this kubeconfig (overrides $KUBECONFIG)'),
    flag('standalone', undefined, 'never contact Kubernetes, even when a kubeconfig is available'),
    flag('namespace', 'NS', 'the injector\'s own namespace (default $POD_NAMESPACE, then',
      `the pod's service-account namespace, then ${DEFAULT_NAMESPACE})`),
    flag('service-name', 'NAME', 'the webhook Service\'s name, for certificate SANs', `(default ${DEFAULT_SERVICE_NAME})`),
  ] },
  { title: 'Configuration (reloaded live when it changes)', flags: [
    flag('config-dir', 'DIR', 'read config.yaml and *.template.yaml from DIR',
      '(default with Kubernetes access: the ConfigMap; standalone:', 'the built-in templates/ folder)'),
    flag('configmap', '[NS/]NAME', `watch this ConfigMap (default: ${DEFAULT_CONFIGMAP} in --namespace)`),
    flag('profile', 'NAME', 'a built-in configuration folder: default (templates/) or',
      'one of templates/profiles/ (instead of --config-dir)'),
    flag('kubernetes-version', 'X.Y', 'the cluster\'s version for native-sidecar auto (default: the',
      'nodes\' kubelets, else the apiserver\'s; standalone: unknown)'),
    flag('namespace-labels', 'k=v,...', 'standalone only: labels every namespace is taken to have'),
    flag('namespace-annotations', 'k=v,...', 'standalone only: annotations every namespace is taken to have',
      '(a part without "=" continues the previous value: a=x,y)'),
  ] },
  { title: 'TLS (without files, a self-signed pair is generated at start)', flags: [
    flag('tls-cert-file', 'FILE', 'serving certificate (PEM); reloaded when it changes'),
    flag('tls-key-file', 'FILE', 'its private key (PEM); both or neither'),
    flag('ca-out', 'FILE', 'where the generated CA certificate is written', `(default ${DEFAULT_CA_OUT})`),
    flag('cert-poll-interval', 'DUR', 'how often the certificate files are checked besides change',
      `events (default ${DEFAULT_CERT_POLL})`),
    flag('client-ca-file', 'FILE', 'require callers of the webhook port to present a client',
      'certificate signed by a CA in FILE (PEM); reloaded when it',
      'changes. The apiserver presents one when its admission config',
      'names a kubeconfig for the webhook (see README). Default: off'),
  ] },
  { title: 'Limits (webhook port; the health/metrics port has fixed ones, see README "Limits")', flags: [
    flag('max-body-bytes', 'SIZE', 'largest AdmissionReview accepted, bytes or with Ki/Mi suffix',
      `(default ${formatSize(DEFAULT_LIMITS.maxBodyBytes)}, the apiserver's own request limit); larger`,
      `bodies get 413. Bodies nested over ${MAX_JSON_DEPTH} levels get 400`),
    flag('max-header-bytes', 'SIZE', `largest request line plus headers (default ${formatSize(DEFAULT_LIMITS.maxHeaderBytes)}); larger get 431`),
    flag('request-timeout', 'DUR', `headers and body must arrive within this time (default ${formatDuration(DEFAULT_LIMITS.requestTimeoutMs)});`,
      'slower requests get 408 and their connection is closed'),
    flag('max-connections-per-client', 'N', `open connections one remote address may hold (default ${DEFAULT_LIMITS.maxConnectionsPerClient},`,
      'above the apiserver\'s 25 idle connections per host); more are', 'closed at once. 0: no cap'),
    flag('max-in-flight', 'N', `admissions handled at once (default ${DEFAULT_LIMITS.maxInFlight}); more get an`,
      'immediate 503 with Retry-After, which the apiserver treats as',
      'a webhook failure (failurePolicy applies). 0: no cap'),
  ] },
  { title: 'Operation', flags: [
    flag('log-level', 'LEVEL', `${LOG_LEVELS.join('|')} (default info; env LOG_LEVEL)`),
    flag('shutdown-delay', 'DUR', 'after SIGTERM, keep serving this long with /readyz failing,',
      'so endpoints are removed before the listener closes and idle',
      `keep-alive clients are not reset (default ${formatDuration(DEFAULT_SHUTDOWN.delayMs)}, or half of`,
      'a shorter --shutdown-timeout)'),
    flag('shutdown-timeout', 'DUR', 'after SIGTERM, exit non-zero if in-flight requests have not',
      `finished within this time (default ${formatDuration(DEFAULT_SHUTDOWN.timeoutMs)})`),
    flag('events', 'true|false', 'record Kubernetes Events for injected, skipped and refused',
      'pods (default true; only with Kubernetes access)'),
    { ...flag('help', undefined, 'show this help'), short: 'h' },
  ] },
];

type ParseOption = { type: 'string' | 'boolean'; short?: string };

/** node:util parseArgs options of every flag in the table. */
export const SERVE_OPTIONS: Readonly<Record<string, ParseOption>> = Object.fromEntries(
  SECTIONS.flatMap((s) => s.flags).map((f) => [f.name, f.short ? { type: f.type, short: f.short } : { type: f.type }]),
);

const HELP_COLUMN = 30;

function helpLines(f: FlagRow): string {
  const label = `  ${f.short ? `-${f.short}, ` : ''}--${f.name}${f.arg ? ` ${f.arg}` : ''}`;
  const indent = ' '.repeat(HELP_COLUMN);
  // A label too long for the column gets its help on the following lines.
  const [first, ...rest] = label.length <= HELP_COLUMN - 2
    ? [label.padEnd(HELP_COLUMN) + f.help[0], ...f.help.slice(1).map((l) => indent + l)]
    : [label, ...f.help.map((l) => indent + l)];
  return [first, ...rest].join('\n');
}

export const SERVE_HELP = `Usage: sidecar-injector serve [flags]

Runs the admission webhook: HTTPS POST /inject, and plain HTTP /healthz, /readyz, /metrics.

${SECTIONS.map((s) => `${s.title}\n${s.flags.map(helpLines).join('\n')}\n`).join('\n')}
Durations: a number with ms, s or m (a bare number means seconds).
Environment: POD_NAMESPACE, KUBECONFIG, LOG_LEVEL, KUBERNETES_SERVICE_HOST/PORT (in-cluster).
`;
