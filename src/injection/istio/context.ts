// What the `istio` profile's templates see as `istio`: the values Istio's injector computes
// in Go before or after running its template (effective ProxyConfig, pod ports, workload
// identity, native-sidecar and hold decisions, Prometheus merge). Pure; built per request
// only when the config has a `meshConfig` (the istio profile).
import type { Pod, StringMap } from '../types.js';
import { effectiveProxyConfig, PROXY_CONFIG_ANNOTATION } from './proxy-config.js';
import { canonicalLabels, ownerURI, workloadMeta } from './workload.js';

export const PROXY_CONTAINER = 'istio-proxy';

export interface IstioContext {
  /** The effective ProxyConfig (mesh defaultConfig + proxy.istio.io/config). */
  proxyConfig: Record<string, unknown>;
  /** PROXY_CONFIG's value: the ProxyConfig as JSON and a newline, as Istio writes it. */
  proxyConfigJSON: string;
  /** The ProxyConfig's proxyMetadata as env entries, by key (added to both containers). */
  proxyMetadataEnv: Array<{ name: string; value: string }>;
  /** values.global.trustDomain, else meshConfig.trustDomain. */
  trustDomain: string;
  /** meshConfig.inboundTrafficPolicy.mode is LOCALHOST: probes keep the legacy destination. */
  legacyLocalhostProbes: boolean;
  /** Why proxy.istio.io/config is invalid; '' when it is fine. */
  problem: string;
  /** ISTIO_META_POD_PORTS: every app container port, one JSON object a line. */
  podPorts: string;
  /** App container names, istio-proxy excluded. */
  appContainers: string[];
  workloadName: string;
  /** ISTIO_META_OWNER; '' when unknown. */
  owner: string;
  /** The workload's name without the workload-name label (the gateway template's ISTIO_META_WORKLOAD_NAME). */
  deploymentName: string;
  canonicalName: string;
  /** The canonical name as the gateway template writes it: neither truncated nor trimmed. */
  canonicalNameUntrimmed: string;
  canonicalRevision: string;
  interceptionMode: string;
  nativeSidecar: boolean;
  /** The app waits for the proxy (postStart hook); never with a native sidecar. */
  holdApplication: boolean;
  /** status.sidecar.istio.io/port or the chart's statusPort, as text ('0': no status port). */
  statusPort: string;
  /** traffic.sidecar.istio.io/excludeInboundPorts with the status port added. */
  excludeInboundPorts: string;
  /** istio-proxy's (and istio-init's) resources: the pod's resource annotations, else the chart's. */
  resources: Json;
  /** sidecar.istio.io/userVolume: extra volumes ({name: spec} JSON), by name. */
  userVolumes: Json[];
  /** sidecar.istio.io/userVolumeMount: extra istio-proxy mounts ({name: mount} JSON), by name. */
  userVolumeMounts: Json[];
  /**
   * The pod's own istio-proxy and istio-init declarations (image `auto` dropped), null when
   * absent or already injected: templates record them in proxy.istio.io/overrides as Istio does.
   */
  declaredProxy: Json | null;
  declaredInit: Json | null;
  /** istio-init's `-u`: the UID the capture exempts, the pod's istio-proxy runAsUser when it sets one (as Istio). */
  proxyUID: string;
  /** Prometheus scrape annotations pointing at the agent ({} when the merge does not apply). */
  prometheusAnnotations: StringMap;
}

type Json = Record<string, unknown>;
const isMapping = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const at = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (isMapping(o) ? o[k] : undefined), v);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** One container port as Go's encoding/json writes a corev1.ContainerPort (field order, omitempty). */
function portJSON(p: Json): string {
  const out: Json = {};
  for (const field of ['name', 'hostPort', 'containerPort', 'protocol', 'hostIP']) {
    const v = p[field];
    if (v !== undefined && v !== null && v !== '' && v !== 0) out[field] = v;
  }
  return JSON.stringify(out);
}

function podPortsOf(containers: Json[]): string {
  const lines: string[] = [];
  for (const c of containers) {
    const ports = Array.isArray(c.ports) ? c.ports.filter(isMapping) : [];
    for (const p of ports) lines.push(`\n    ${lines.length > 0 ? ',' : ''}${portJSON(p)}`);
  }
  return `[${lines.join('')}\n]`;
}

function excludeInboundPort(port: string, excluded: string): string {
  const wanted = port.trim();
  if (wanted === '' || wanted === '0') return excluded;
  const ports = excluded.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (ports.includes(wanted)) return excluded;
  return [...ports, wanted].join(',');
}

// Istio matches Prometheus annotations after turning every non-alphanumeric into '_'.
const sanitized = (key: string): string => key.replace(/[^a-zA-Z0-9_]/g, '_');

function prometheusMerge(annotations: StringMap, meshConfig: Json, targetPort: string): StringMap {
  if (meshConfig.enablePrometheusMerge === false) return {};
  if (annotations['prometheus.istio.io/merge-metrics'] === 'false') return {};
  for (const [k, v] of Object.entries(annotations)) {
    if (sanitized(k) === 'prometheus_io_scrape' && /^(0|f|false|F|FALSE|False)$/.test(v)) return {};
  }
  return { 'prometheus.io/port': targetPort, 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/scrape': 'true' };
}

const RESOURCE_ANNOTATIONS = {
  requests: { cpu: 'sidecar.istio.io/proxyCPU', memory: 'sidecar.istio.io/proxyMemory' },
  limits: { cpu: 'sidecar.istio.io/proxyCPULimit', memory: 'sidecar.istio.io/proxyMemoryLimit' },
} as const;

const BINARY_SUFFIXES = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi'];

/**
 * A quantity in Kubernetes' canonical form, as the API server stores it and Istio's goldens
 * show it: "4000m" is "4", "1024Mi" is "1Gi". Anything else is kept as written.
 */
export function canonicalQuantity(q: unknown): unknown {
  if (typeof q !== 'string') return q;
  const milli = /^(\d+)m$/.exec(q);
  if (milli && Number(milli[1]) % 1000 === 0) return String(Number(milli[1]) / 1000);
  const binary = /^(\d+)(Ki|Mi|Gi|Ti)$/.exec(q);
  if (binary) {
    let n = Number(binary[1]);
    let unit = BINARY_SUFFIXES.indexOf(binary[2]);
    while (n >= 1024 && n % 1024 === 0 && unit < BINARY_SUFFIXES.length - 1) { n /= 1024; unit++; }
    return `${n}${BINARY_SUFFIXES[unit]}`;
  }
  return q;
}

/** Drops null entries, as the chart's omitNil does. */
function withoutNulls(v: unknown): Json {
  const out: Json = {};
  if (!isMapping(v)) return out;
  for (const [k, item] of Object.entries(v)) {
    if (item === null || item === undefined) continue;
    out[k] = isMapping(item) ? withoutNulls(item) : canonicalQuantity(item);
  }
  return out;
}

function resourcesOf(annotations: StringMap, values: Readonly<Json>): Json {
  const fromPod: Json = {};
  for (const [kind, keys] of Object.entries(RESOURCE_ANNOTATIONS)) {
    const picked: Json = {};
    for (const [resource, key] of Object.entries(keys)) if (key in annotations) picked[resource] = canonicalQuantity(annotations[key]);
    if (Object.keys(picked).length > 0) fromPod[kind] = picked;
  }
  if (Object.keys(fromPod).length > 0) return fromPod;
  return withoutNulls(at(values, 'global', 'proxy', 'resources'));
}

/** A `{name: {...}}` JSON annotation as `[{name, ...}]`, by name; [] when absent or not such JSON. */
function namedEntries(text: string | undefined): Json[] {
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!isMapping(parsed)) return [];
  return Object.keys(parsed).sort().filter((k) => isMapping(parsed[k])).map((name) => ({ ...(parsed as Json)[name] as Json, name }));
}

function declared(pod: Pod, name: string, annotations: StringMap): Json | null {
  if ('sidecar.istio.io/status' in annotations) return null;
  const spec = pod.spec as Json | undefined;
  const all = [...(Array.isArray(spec?.containers) ? spec.containers : []), ...(Array.isArray(spec?.initContainers) ? spec.initContainers : [])];
  const found = all.find((c): c is Json => isMapping(c) && c.name === name);
  if (!found) return null;
  const { image, ...rest } = found;
  return image === 'auto' || image === undefined ? { ...rest, resources: rest.resources ?? {} } : { ...found, resources: found.resources ?? {} };
}

/** The runAsUser of the pod's own istio-proxy declaration; Istio's 1337 when it sets none. */
function proxyUID(declaredProxy: Json | null): string {
  const uid = at(declaredProxy, 'securityContext', 'runAsUser');
  return typeof uid === 'number' && Number.isSafeInteger(uid) && uid >= 0 ? String(uid) : '1337';
}

export interface IstioInputs {
  pod: Pod;
  namespace: string;
  values: Readonly<Json>;
  meshConfig: Readonly<Json>;
  /** The cluster runs native sidecars (Kubernetes >= 1.29), when known. */
  clusterNativeSidecars?: boolean;
}

/** The cluster's native-sidecar support as istiod's ENABLE_NATIVE_SIDECARS decides it. */
function clusterNative(values: Readonly<Json>, detected: boolean | undefined): boolean {
  const flag = str(at(values, 'pilot', 'env', 'ENABLE_NATIVE_SIDECARS')).toLowerCase();
  if (flag === 'false') return false;
  if (flag === 'true') return true;
  return detected ?? false;
}

export function istioContext({ pod, namespace, values, meshConfig, clusterNativeSidecars }: IstioInputs): IstioContext {
  const meta = pod.metadata ?? {};
  const annotations: StringMap = meta.annotations ?? {};
  const labels: StringMap = meta.labels ?? {};
  const containers = (Array.isArray(pod.spec?.containers) ? pod.spec.containers : []).filter(isMapping) as Json[];

  const { config, problem } = effectiveProxyConfig(meshConfig.defaultConfig, annotations[PROXY_CONFIG_ANNOTATION]);
  const workload = workloadMeta(pod, namespace);
  const workloadName = labels['service.istio.io/workload-name'] || workload.name;
  const canonical = canonicalLabels(labels, workload.name);
  const nativeAnnotation = annotations['sidecar.istio.io/nativeSidecar'];
  const nativeSidecar = (nativeAnnotation || String(clusterNative(values, clusterNativeSidecars))) !== 'false';
  const hold = config.holdApplicationUntilProxyStarts === true
    || at(values, 'global', 'proxy', 'holdApplicationUntilProxyStarts') === true;
  const statusPort = annotations['status.sidecar.istio.io/port'] ?? str(at(values, 'global', 'proxy', 'statusPort'));
  const excluded = annotations['traffic.sidecar.istio.io/excludeInboundPorts'] ?? str(at(values, 'global', 'proxy', 'excludeInboundPorts'));
  const agentPort = str(config.statusPort ?? 15020);
  const declaredProxy = declared(pod, PROXY_CONTAINER, annotations);
  return {
    proxyConfig: config,
    proxyConfigJSON: `${JSON.stringify(config)}\n`,
    problem: problem ?? '',
    proxyMetadataEnv: Object.entries(isMapping(config.proxyMetadata) ? config.proxyMetadata : {})
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([name, value]) => ({ name, value: str(value) })),
    trustDomain: str(at(values, 'global', 'trustDomain')) || str(meshConfig.trustDomain),
    legacyLocalhostProbes: str(at(meshConfig, 'inboundTrafficPolicy', 'mode')).toLowerCase() === 'localhost',
    podPorts: podPortsOf(containers),
    appContainers: containers.map((c) => str(c.name)).filter((n) => n !== PROXY_CONTAINER),
    workloadName,
    owner: ownerURI(workload),
    deploymentName: workload.name,
    canonicalName: canonical.name,
    canonicalNameUntrimmed: canonical.untrimmed,
    canonicalRevision: canonical.revision,
    interceptionMode: annotations['sidecar.istio.io/interceptionMode'] || str(config.interceptionMode) || 'REDIRECT',
    nativeSidecar,
    holdApplication: hold && !nativeSidecar,
    statusPort,
    excludeInboundPorts: excludeInboundPort(statusPort, excluded),
    resources: resourcesOf(annotations, values),
    prometheusAnnotations: prometheusMerge(annotations, meshConfig as Json, agentPort),
    declaredProxy,
    proxyUID: proxyUID(declaredProxy),
    declaredInit: declared(pod, 'istio-init', annotations),
    userVolumes: namedEntries(annotations['sidecar.istio.io/userVolume']),
    userVolumeMounts: namedEntries(annotations['sidecar.istio.io/userVolumeMount']),
  };
}
