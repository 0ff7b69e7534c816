// Probe rewriting, as Istio's injector does it (pkg/kube/inject/app_probe.go): the kubelet's
// probes of the app would pass through the traffic capture, where mTLS or a proxy that is
// not ready yet fails them. Each probe is pointed instead at the proxy's status port, on a
// path naming the container and the probe; the proxy then asks the app on localhost, from
// its own UID, which the capture leaves alone. Pure: returns what changes, modifies nothing.
//
// Where we differ from Istio, deliberately:
// - A probe whose port cannot be resolved (a named port the container does not declare),
//   lies on a port excluded from capture, or names its own `host`, is left as it is:
//   the kubelet reaches it as before (Istio rewrites it and then has no prober for it).
// - Containers whose name is not a DNS label are skipped: the apiserver refuses the pod
//   anyway, and the name becomes part of a URL path.
import type { AppProber, Container, HTTPGetAction, Lifecycle, PodSpec, Probe } from './types.js';
import { setOwn } from './merge.js';
import { isPlainObject } from './plain-object.js';

export interface ProbeRewriteOptions {
  /** The proxy's status port (15021): the kubelet's probes go there. */
  statusPort: number;
  /** Inbound ports the capture leaves alone: probes on them need no rewriting. */
  excludedInboundPorts: number[];
  /** The probers of an earlier injection (its rewritten probes are on the status port now): kept where not rewritten again. */
  previousProbers?: Readonly<Record<string, AppProber>>;
}

/** What the capture intercepts, as the helpers below look it up. */
interface Capture {
  statusPort: number;
  excluded: ReadonlySet<number>;
}

/** The new probe fields of one container, to be merged into it by name. */
export interface RewrittenContainer {
  name: string;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: Lifecycle;
}

export interface ProbeRewrite {
  /** Only the containers that change, init containers (native sidecars) first. */
  containers: RewrittenContainer[];
  /** Istio's ISTIO_KUBE_APP_PROBERS map: status-port path -> how to probe the app. */
  appProbers: Record<string, AppProber>;
}

type ProbeField = 'livenessProbe' | 'readinessProbe' | 'startupProbe';

/** Probe field -> last segment of its status-port path (Istio's names). */
export const PROBE_PATHS: ReadonlyArray<readonly [ProbeField, string]> = [
  ['livenessProbe', 'livez'], ['readinessProbe', 'readyz'], ['startupProbe', 'startupz'],
];
const LIFECYCLE_PATHS: ReadonlyArray<readonly ['postStart' | 'preStop', string]> = [
  ['postStart', 'poststartz'], ['preStop', 'prestopz'],
];

export function appHealthPath(container: string, kind: string): string {
  return `/app-health/${container}/${kind}`;
}

export function appLifecyclePath(container: string, kind: string): string {
  return `/app-lifecycle/${container}/${kind}`;
}

const PROBER_PATH = /^\/app-(?:health|lifecycle)\/([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\/[a-z]+$/;

/** The container a prober's path names (appHealthPath, appLifecyclePath); undefined when the text is not such a path. */
export function proberPathContainer(path: string): string | undefined {
  return PROBER_PATH.exec(path)?.[1];
}

const PRINTABLE = /^[\x21-\x7e]{0,2048}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** The container's named ports (`ports[].name` -> `containerPort`). */
function namedPorts(container: Container): Map<string, number> {
  const named = new Map<string, number>();
  const ports = container.ports;
  if (!Array.isArray(ports)) return named;
  for (const port of ports) {
    if (isPlainObject(port) && typeof port.name === 'string' && isPort(port.containerPort)) named.set(port.name, port.containerPort);
  }
  return named;
}

/** The app port a probe action targets, when it is one the capture would intercept. */
function capturedPort(action: Record<string, unknown>, named: Map<string, number>, capture: Capture): number | undefined {
  if (action.host !== undefined && action.host !== '') return undefined;
  const port = typeof action.port === 'string' ? named.get(action.port) : action.port;
  if (!isPort(port) || port === capture.statusPort || capture.excluded.has(port)) return undefined;
  return port;
}

function headersOf(value: unknown): Array<{ name: string; value: string }> | undefined | false {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return false;
  const headers: Array<{ name: string; value: string }> = [];
  for (const h of value) {
    if (!isPlainObject(h) || typeof h.name !== 'string' || typeof h.value !== 'string') return false;
    headers.push({ name: h.name, value: h.value });
  }
  return headers;
}

/** The prober for an httpGet action; undefined when it is left to the kubelet. */
function httpProber(action: unknown, named: Map<string, number>, capture: Capture): AppProber['httpGet'] {
  if (!isPlainObject(action)) return undefined;
  const port = capturedPort(action, named, capture);
  const headers = headersOf(action.httpHeaders);
  if (port === undefined || headers === false) return undefined;
  // The path goes into the proxy's route: visible ASCII only (what a request line can carry).
  if (action.path !== undefined && (typeof action.path !== 'string' || !PRINTABLE.test(action.path))) return undefined;
  if (action.scheme !== undefined && action.scheme !== 'HTTP' && action.scheme !== 'HTTPS') return undefined;
  const prober: HTTPGetAction & { port: number } = { port };
  if (action.path !== undefined) prober.path = action.path;
  if (action.scheme !== undefined) prober.scheme = action.scheme;
  if (headers !== undefined) prober.httpHeaders = headers;
  return prober;
}

/**
 * The prober for an `httpGet` or `tcpSocket` action, httpGet first (Istio's precedence);
 * undefined when it is left to the kubelet. Probes and lifecycle hooks alike: the kubelet
 * accepts `tcpSocket` in a hook but fails it when it runs (deprecated, never implemented);
 * as an HTTP call to the agent, which checks the port, it works (as Istio rewrites it).
 */
function actionProber(handler: Record<string, unknown>, named: Map<string, number>, capture: Capture): AppProber | undefined {
  if (handler.httpGet !== undefined) {
    const httpGet = httpProber(handler.httpGet, named, capture);
    return httpGet ? { httpGet } : undefined;
  }
  if (!isPlainObject(handler.tcpSocket)) return undefined;
  const port = capturedPort(handler.tcpSocket, named, capture);
  return port === undefined ? undefined : { tcpSocket: { port } };
}

/** The prober for a probe, in Istio's order of precedence: httpGet, tcpSocket, grpc. */
function proberOf(probe: Record<string, unknown>, named: Map<string, number>, capture: Capture): AppProber | undefined {
  let prober: AppProber | undefined;
  if (probe.httpGet !== undefined || isPlainObject(probe.tcpSocket)) {
    prober = actionProber(probe, named, capture);
  } else if (isPlainObject(probe.grpc)) {
    // gRPC probes take only a number (Kubernetes has no named gRPC port).
    const { port, service } = probe.grpc;
    if (isPort(port) && port !== capture.statusPort && !capture.excluded.has(port)
      && (service === undefined || typeof service === 'string')) {
      prober = { grpc: service === undefined ? { port } : { port, service } };
    }
  }
  if (prober && isPort(probe.timeoutSeconds)) prober.timeoutSeconds = probe.timeoutSeconds;
  return prober;
}

/** The probe as the kubelet now runs it: an HTTP GET of `path` on the status port. */
function redirected(probe: Record<string, unknown>, path: string, statusPort: number): Record<string, unknown> {
  const httpGet: Record<string, unknown> = isPlainObject(probe.httpGet) ? { ...probe.httpGet } : {};
  httpGet.path = path;
  httpGet.port = statusPort;
  // Kubelet -> HTTP -> proxy -> HTTPS -> app: the status port speaks plain HTTP.
  if (httpGet.scheme === 'HTTPS') httpGet.scheme = 'HTTP';
  // The probe's other fields in their order, httpGet where it was (else last). A loop, not
  // rest destructuring: that is a runtime call per probe, for every pod.
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(probe)) {
    if (key === 'tcpSocket' || key === 'grpc') continue;
    if (key === '__proto__') setOwn(out, key, probe[key]);
    else out[key] = key === 'httpGet' ? httpGet : probe[key];
  }
  out.httpGet = httpGet;
  return out;
}

function rewriteContainer(container: Container, capture: Capture, appProbers: Record<string, AppProber>): RewrittenContainer | undefined {
  const named = namedPorts(container);
  const out: RewrittenContainer = { name: container.name };
  let changed = false;
  for (const [field, kind] of PROBE_PATHS) {
    const probe = container[field];
    if (!isPlainObject(probe)) continue;
    const prober = proberOf(probe, named, capture);
    if (!prober) continue;
    const path = appHealthPath(container.name, kind);
    appProbers[path] = prober;
    out[field] = redirected(probe, path, capture.statusPort) as Probe;
    changed = true;
  }
  const lifecycle = container.lifecycle;
  if (isPlainObject(lifecycle)) {
    const rewritten: Lifecycle = { ...lifecycle };
    let hooks = false;
    for (const [field, kind] of LIFECYCLE_PATHS) {
      const handler = lifecycle[field];
      if (!isPlainObject(handler)) continue;
      const prober = actionProber(handler, named, capture); // `exec` hooks stay
      if (!prober) continue;
      const path = appLifecyclePath(container.name, kind);
      appProbers[path] = prober;
      rewritten[field] = redirected(handler, path, capture.statusPort);
      hooks = true;
    }
    if (hooks) {
      out.lifecycle = rewritten;
      changed = true;
    }
  }
  return changed ? out : undefined;
}

/**
 * The probes and lifecycle hooks of every app container, pointed at the proxy's status
 * port, and the probers the proxy runs in their place. Probes already on the status port
 * (the proxy's own, or a pod rewritten before) are left alone, so rewriting twice changes
 * nothing.
 */
export function rewriteAppProbes(spec: PodSpec, opts: ProbeRewriteOptions): ProbeRewrite {
  const containers: RewrittenContainer[] = [];
  const appProbers: Record<string, AppProber> = {};
  const all = [
    ...(Array.isArray(spec.initContainers) ? spec.initContainers : []),
    ...(Array.isArray(spec.containers) ? spec.containers : []),
  ];
  // A set: the pod's own annotation can list every port, checked for each of its probes (attack 8).
  const capture: Capture = { statusPort: opts.statusPort, excluded: new Set(opts.excludedInboundPorts) };
  for (const container of all) {
    if (!isPlainObject(container) || typeof container.name !== 'string' || !DNS_LABEL.test(container.name)) continue;
    const rewritten = rewriteContainer(container, capture, appProbers);
    if (rewritten) containers.push(rewritten);
  }
  for (const [path, prober] of Object.entries(opts.previousProbers ?? {})) if (!Object.hasOwn(appProbers, path)) appProbers[path] = prober;
  return { containers, appProbers };
}

/** `rewrite` without the containers named in `names` and their probers (paths name their container). */
export function withoutContainers(rewrite: ProbeRewrite, names: ReadonlySet<string>): ProbeRewrite {
  const appProbers: Record<string, AppProber> = {};
  for (const [path, prober] of Object.entries(rewrite.appProbers)) {
    if (!names.has(proberPathContainer(path) ?? '')) appProbers[path] = prober;
  }
  return { containers: rewrite.containers.filter((c) => !names.has(c.name)), appProbers };
}

/** The probers as a list sorted by path: what a JSON-e template can iterate over. */
export function appProberList(appProbers: Record<string, AppProber>): Array<{ path: string; prober: AppProber }> {
  return Object.keys(appProbers).sort().map((path) => ({ path, prober: appProbers[path]! }));
}
