// What the `istio` profile's templates see as `istio`: the values Istio's injector computes
// in Go before or after running its template (effective ProxyConfig, pod ports, workload
// identity, native-sidecar and hold decisions, Prometheus merge). Pure. Computed in two
// steps: istioPodInputs picks the few parts of the pod it depends on (cheap, every request:
// the render cache keys on them), istioContextOf builds the context from those alone (only
// when the render cache misses). What depends only on the config version is computed once.
import type { Pod, StringMap } from '../types.js';
import { configDefaults, proxyConfigView } from './config-defaults.js';
import { goTypedJson } from './go-annotations.js';
import { canonicalQuantity } from '../quantity.js';
import { isPlainObject } from '../plain-object.js';
import { at, str, type Json } from './json.js';
import { cniAnnotations } from './cni.js';
import { INIT_CONTAINER, PROXY_CONTAINER } from './names.js';
import { otelResourceAttributes } from './otel.js';
import { clusterEnv, NETWORK_LABEL } from './cluster-env.js';
import { previousInjection } from './previous-injection.js';
import { proxyIds, resetsProxyUser, withoutUser, DEFAULT_PROXY_ID, DEFAULT_PROXY_IDS, type ProxyIds } from './proxy-ids.js';
import { prometheusMergeOf, securePortOf } from './prometheus-merge.js';
import { PROXY_CONFIG_ANNOTATION } from './proxy-config.js';
import { CANONICAL_LABELS, canonicalLabels, ownerURI, workloadMeta, type WorkloadMeta } from './workload.js';

export interface IstioContext {
  /** The effective ProxyConfig (mesh defaultConfig + proxy.istio.io/config). */
  proxyConfig: Record<string, unknown>;
  /** PROXY_CONFIG's value: the ProxyConfig as JSON and a newline, as Istio writes it. */
  proxyConfigJSON: string;
  /** The ProxyConfig's proxyMetadata as env entries, by key (added to both containers). */
  proxyMetadataEnv: Array<{ name: string; value: string }>;
  /** The webhook path's env, and ISTIO_META_CLUSTER_ID and ISTIO_META_NETWORK where set, sorted: moved last in istio-proxy's env after the render, as Istio does (cluster-env.ts). */
  clusterEnv: Array<{ name: string; value: string }>;
  /** With an OpenTelemetry provider that asks for them, the service's attributes (otel.ts); else ''. */
  otelResourceAttributes: string;
  /** istiod's COMPLIANCE_POLICY (values.pilot.env) and, for fips-140-3, Go's FIPS-only mode: env entries. */
  complianceEnv: Array<{ name: string; value: string }>;
  /** With Istio CNI, the capture's settings the CNI plugin reads from the pod (cni.ts); else {}. */
  cniAnnotations: StringMap;
  /** values.global.trustDomain, else meshConfig.trustDomain. */
  trustDomain: string;
  /** meshConfig.inboundTrafficPolicy.mode is LOCALHOST: probes keep the legacy destination. */
  legacyLocalhostProbes: boolean;
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
  /** istio-init's `-u`: the UID the capture exempts, the pod's istio-proxy runAsUser when it sets one other than 0 (as Istio). */
  proxyUID: string;
  /** The IDs the proxy runs as: 1337, or OpenShift's (proxy-ids.ts). */
  proxyRunAsUser: number;
  proxyRunAsGroup: number;
  /** istio-validation's (Istio CNI): the pod's istio-proxy's where it sets them, else the proxy's; 1337 in TPROXY mode. */
  validationRunAsUser: number;
  validationRunAsGroup: number;
  /** istiod's CA certificate volume, or none when istiod is not the CA (config-defaults.ts). */
  caCertVolumes: Json[];
  /** The ProxyConfig's proxyMetadata sets ISTIO_META_ENABLE_HBONE: the proxy also accepts HBONE (ambient's tunnel), said by a label. */
  hbone: boolean;
  /** The ProxyConfig's proxyMetadata sets IPTABLES_TRACE_LOGGING: the proxy runs privileged, as Istio's template says. */
  iptablesTraceLogging: boolean;
  /** prometheus.istio.io/secure-port to add ('' for none; prometheus-merge.ts). */
  securePort: string;
  /** Prometheus scrape annotations pointing at the agent ({} when the merge does not apply; prometheus-merge.ts). */
  prometheusAnnotations: StringMap;
  /** ISTIO_PROMETHEUS_ANNOTATIONS: the pod's own scrape annotations as JSON, '' for none. */
  prometheusScrapeConfig: string;
}

function podPortsOf(containers: ReadonlyArray<{ ports: unknown }>): string {
  const lines: string[] = [];
  for (const c of containers) {
    const ports = Array.isArray(c.ports) ? c.ports.filter(isPlainObject) : [];
    for (const p of ports) lines.push(`\n    ${lines.length > 0 ? ',' : ''}${goTypedJson(p, 'ContainerPort')}`);
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

// Each resource annotation: the kind (requests, limits) and resource it sets.
const RESOURCE_ANNOTATIONS: ReadonlyArray<readonly [key: string, kind: string, resource: string]> = [
  ['sidecar.istio.io/proxyCPU', 'requests', 'cpu'], ['sidecar.istio.io/proxyMemory', 'requests', 'memory'],
  ['sidecar.istio.io/proxyCPULimit', 'limits', 'cpu'], ['sidecar.istio.io/proxyMemoryLimit', 'limits', 'memory'],
];

function resourcesOf(annotations: StringMap, chartResources: Json): Json {
  let fromPod: Record<string, Json> | undefined;
  for (const [key, kind, resource] of RESOURCE_ANNOTATIONS) {
    if (!(key in annotations)) continue;
    fromPod ??= {};
    (fromPod[kind] ??= {})[resource] = canonicalQuantity(annotations[key]);
  }
  return fromPod ?? chartResources;
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
  if (!isPlainObject(parsed)) return [];
  return Object.keys(parsed).sort().filter((k) => isPlainObject(parsed[k])).map((name) => ({ ...(parsed as Json)[name] as Json, name }));
}

/** The pod's own declaration of `name` as templates record it, null when absent or already injected. */
function declared(found: Json | undefined, annotations: StringMap): Json | null {
  if (found === undefined || 'sidecar.istio.io/status' in annotations) return null;
  const { image, ...rest } = found;
  return image === 'auto' || image === undefined ? { ...rest, resources: rest.resources ?? {} } : { ...found, resources: found.resources ?? {} };
}

/** An ID the pod's own istio-proxy declaration sets (runAsUser, runAsGroup), else undefined. */
function declaredId(declaredProxy: Json | null, field: string): number | undefined {
  const id = at(declaredProxy, 'securityContext', field);
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}

/**
 * Everything of the pod and cluster the istio context is computed from, with the pod's
 * annotations (ISTIO_POD_READS), and nothing more: two pods with equal inputs and
 * annotations get equal contexts (under one config version), so the render cache keys on
 * them. Replicas of a workload have equal inputs (their names and pod-template-hash are
 * read only through the workload they name).
 */
export interface IstioPodInputs {
  /** Only the labels the context reads (workload name, canonical name and revision). */
  labels: StringMap;
  workload: WorkloadMeta;
  /** The app containers' names and ports, in order; the image too when there is one container (OTel's service version). */
  containers: Array<{ name: unknown; ports: unknown; image?: unknown }>;
  /** The pod's own istio-proxy and istio-init declarations (containers or init containers), as written. */
  proxy?: Json;
  init?: Json;
  clusterNativeSidecars?: boolean;
  /** Env for the proxy from the webhook's URL path, when it sets some (path-env.ts). */
  proxyEnv?: Readonly<StringMap>;
  /** On OpenShift, the proxy's UID and GID in the pod's namespace (proxy-ids.ts); absent elsewhere (1337). */
  ids?: ProxyIds;
}

/** The fields of the template context's `pod` the istio context reads besides its IstioPodInputs. */
export const ISTIO_POD_READS: readonly string[] = ['annotations'];

const WORKLOAD_NAME_LABEL = 'service.istio.io/workload-name';
/** Every label the context reads (workloadMeta reads others, which only name the workload). */
const READ_LABELS = [WORKLOAD_NAME_LABEL, NETWORK_LABEL, ...CANONICAL_LABELS];

export function istioPodInputs(
  pod: Pod, namespace: { name: string; annotations?: StringMap }, values: Readonly<Json>, clusterNativeSidecars: boolean | undefined,
  proxyEnv?: Readonly<StringMap>,
): IstioPodInputs {
  const meta = pod.metadata ?? {};
  const labels: StringMap = meta.labels ?? {};
  const read: StringMap = {};
  for (const key of READ_LABELS) if (labels[key] !== undefined) read[key] = labels[key];
  // As Istio, the templates see the pod without what an earlier injection added (its status says what).
  const previous = previousInjection(pod);
  const containers = (Array.isArray(pod.spec?.containers) ? pod.spec.containers : [])
    .filter((c) => isPlainObject(c) && !previous?.containers.has(c.name as string)) as Json[];
  const inits = (Array.isArray(pod.spec?.initContainers) ? pod.spec.initContainers : [])
    .filter((c) => isPlainObject(c) && !previous?.initContainers.has(c.name as string)) as Json[];
  const named = (name: string): Json | undefined => containers.find((c) => c.name === name) ?? inits.find((c) => c.name === name);
  const proxy = named(PROXY_CONTAINER);
  return {
    labels: read,
    workload: workloadMeta(pod, namespace.name),
    containers: containers.map((c) => (containers.length === 1 ? { name: c.name, ports: c.ports, image: c.image } : { name: c.name, ports: c.ports })),
    // On OpenShift a proxy with the app's user loses it (proxy-ids.ts).
    proxy: proxy && resetsProxyUser(values, [...containers, ...inits]) ? withoutUser(proxy) : proxy,
    init: named(INIT_CONTAINER),
    clusterNativeSidecars,
    ids: proxyIds(values, namespace.annotations),
    ...(proxyEnv && Object.keys(proxyEnv).length > 0 ? { proxyEnv } : {}),
  };
}

export function istioContextOf(
  inputs: IstioPodInputs, annotations: StringMap, values: Readonly<Json>, meshConfig: Readonly<Json>,
): IstioContext {
  const { labels, workload } = inputs;
  const defaults = configDefaults(values, meshConfig);
  const { config, json, metadataEnv } = proxyConfigView(meshConfig, annotations[PROXY_CONFIG_ANNOTATION]);
  const canonical = canonicalLabels(labels, workload.name);
  const clusterNative = defaults.nativeFlag === 'true' || (defaults.nativeFlag !== 'false' && inputs.clusterNativeSidecars === true);
  const nativeSidecar = (annotations['sidecar.istio.io/nativeSidecar'] || String(clusterNative)) !== 'false';
  const statusPort = annotations['status.sidecar.istio.io/port'] ?? defaults.statusPort;
  const excluded = annotations['traffic.sidecar.istio.io/excludeInboundPorts'] ?? defaults.excludeInboundPorts;
  const declaredProxy = declared(inputs.proxy, annotations);
  const metricsMerge = prometheusMergeOf(annotations, meshConfig);
  const interceptionMode = annotations['sidecar.istio.io/interceptionMode'] || str(config.interceptionMode) || 'REDIRECT';
  const tproxy = (Object.hasOwn(annotations, 'sidecar.istio.io/interceptionMode') ? annotations['sidecar.istio.io/interceptionMode'] : interceptionMode) === 'TPROXY';
  const excludeInboundPorts = excludeInboundPort(statusPort, excluded);
  const ids = inputs.ids ?? DEFAULT_PROXY_IDS;
  const declaredUser = declaredId(declaredProxy, 'runAsUser');
  return {
    proxyConfig: config,
    proxyConfigJSON: json,
    proxyMetadataEnv: metadataEnv,
    clusterEnv: clusterEnv(values, labels, inputs.proxyEnv),
    complianceEnv: defaults.complianceEnv,
    otelResourceAttributes: defaults.otelSemanticConventions
      ? otelResourceAttributes(annotations, labels, workload.namespace, inputs.containers)
      : '',
    cniAnnotations: cniAnnotations(annotations, values, interceptionMode, excludeInboundPorts),
    trustDomain: defaults.trustDomain,
    legacyLocalhostProbes: defaults.legacyLocalhostProbes,
    podPorts: podPortsOf(inputs.containers),
    appContainers: inputs.containers.map((c) => str(c.name)).filter((n) => n !== PROXY_CONTAINER),
    workloadName: labels[WORKLOAD_NAME_LABEL] || workload.name,
    owner: ownerURI(workload),
    deploymentName: workload.name,
    canonicalName: canonical.name,
    canonicalNameUntrimmed: canonical.untrimmed,
    canonicalRevision: canonical.revision,
    interceptionMode,
    nativeSidecar,
    holdApplication: (config.holdApplicationUntilProxyStarts === true || defaults.hold) && !nativeSidecar,
    statusPort,
    excludeInboundPorts,
    resources: resourcesOf(annotations, defaults.resources),
    caCertVolumes: defaults.caCertVolumes,
    hbone: at(config, 'proxyMetadata', 'ISTIO_META_ENABLE_HBONE') === 'true',
    iptablesTraceLogging: at(config, 'proxyMetadata', 'IPTABLES_TRACE_LOGGING') === 'true',
    securePort: securePortOf(annotations, metadataEnv, declaredProxy),
    prometheusAnnotations: metricsMerge.annotations,
    prometheusScrapeConfig: metricsMerge.scrapeConfig,
    declaredProxy,
    proxyUID: String(declaredUser || (tproxy ? DEFAULT_PROXY_ID : ids.uid)),
    proxyRunAsUser: ids.uid,
    proxyRunAsGroup: ids.gid,
    validationRunAsUser: tproxy ? DEFAULT_PROXY_ID : declaredUser ?? ids.uid,
    validationRunAsGroup: tproxy ? DEFAULT_PROXY_ID : declaredId(declaredProxy, 'runAsGroup') ?? ids.gid,
    declaredInit: declared(inputs.init, annotations),
    userVolumes: namedEntries(annotations['sidecar.istio.io/userVolume']),
    userVolumeMounts: namedEntries(annotations['sidecar.istio.io/userVolumeMount']),
  };
}
