// What the istio context takes from the config version alone (chart values and mesh
// config): computed once per config version, not per pod. And the effective ProxyConfig of
// each distinct proxy.istio.io/config text, parsed once per mesh config.
import { deepFreeze } from '../deep-freeze.js';
import type { Pod } from '../types.js';
import { isPlainObject } from '../plain-object.js';
import { canonicalQuantityOf } from '../quantity.js';
import { at, str, type Json } from './json.js';
import { usesOtelSemanticConventions } from './otel.js';
import { effectiveProxyConfig, PROXY_CONFIG_ANNOTATION } from './proxy-config.js';

/** Drops null entries, as the chart's omitNil does. */
function withoutNulls(v: unknown): Json {
  const out: Json = {};
  if (!isPlainObject(v)) return out;
  for (const [k, item] of Object.entries(v)) {
    if (item === null || item === undefined) continue;
    out[k] = isPlainObject(item) ? withoutNulls(item) : canonicalQuantityOf(item);
  }
  return out;
}

/** What the context takes from the config version alone: computed once per values and meshConfig. */
export interface ConfigDefaults {
  trustDomain: string;
  legacyLocalhostProbes: boolean;
  /** values.pilot.env.ENABLE_NATIVE_SIDECARS: 'true', 'false' or '' (auto-detect). */
  nativeFlag: string;
  hold: boolean;
  statusPort: string;
  excludeInboundPorts: string;
  resources: Json;
  /** istiod-ca-cert, or none when istiod is not the CA. */
  caCertVolumes: Json[];
  complianceEnv: Array<{ name: string; value: string }>;
  otelSemanticConventions: boolean;
}

const defaultsOf = new WeakMap<object, WeakMap<object, ConfigDefaults>>();

/**
 * istiod's CA certificate as the pod mounts it, when istiod is the CA: its ConfigMap, or
 * with pilot's ENABLE_CLUSTER_TRUST_BUNDLE_API the ClusterTrustBundle (as Istio's templates).
 */
function caCertVolumes(values: Readonly<Json>): Json[] {
  if (at(values, 'global', 'pilotCertProvider') !== 'istiod') return [];
  const bundle = str(at(values, 'global', 'trustBundleName'));
  if (at(values, 'pilot', 'env', 'ENABLE_CLUSTER_TRUST_BUNDLE_API') === true) {
    return [{ name: 'istiod-ca-cert', projected: { sources: [{ clusterTrustBundle: { name: `istio.io:istiod-ca:${bundle || 'root-cert'}`, path: 'root-cert.pem' } }] } }];
  }
  return [{ name: 'istiod-ca-cert', configMap: { name: bundle || 'istio-ca-root-cert' } }];
}

/** istiod's COMPLIANCE_POLICY as the proxy's env: with fips-140-3, Go's crypto is FIPS-only too. */
function complianceEnv(policy: string): Array<{ name: string; value: string }> {
  if (policy === '') return [];
  const env = [{ name: 'COMPLIANCE_POLICY', value: policy }];
  return policy === 'fips-140-3' ? [...env, { name: 'GODEBUG', value: 'fips140=only' }] : env;
}

export function configDefaults(values: Readonly<Json>, meshConfig: Readonly<Json>): ConfigDefaults {
  let byMesh = defaultsOf.get(values);
  if (byMesh === undefined) defaultsOf.set(values, byMesh = new WeakMap());
  let defaults = byMesh.get(meshConfig);
  if (defaults === undefined) {
    const proxy = at(values, 'global', 'proxy');
    defaults = deepFreeze({
      trustDomain: str(at(values, 'global', 'trustDomain')) || str(meshConfig.trustDomain),
      legacyLocalhostProbes: str(at(meshConfig, 'inboundTrafficPolicy', 'mode')).toLowerCase() === 'localhost',
      nativeFlag: str(at(values, 'pilot', 'env', 'ENABLE_NATIVE_SIDECARS')).toLowerCase(),
      hold: at(proxy, 'holdApplicationUntilProxyStarts') === true,
      statusPort: str(at(proxy, 'statusPort')),
      excludeInboundPorts: str(at(proxy, 'excludeInboundPorts')),
      resources: withoutNulls(at(proxy, 'resources')),
      caCertVolumes: caCertVolumes(values),
      complianceEnv: complianceEnv(str(at(values, 'pilot', 'env', 'COMPLIANCE_POLICY'))),
      otelSemanticConventions: usesOtelSemanticConventions(meshConfig),
    });
    byMesh.set(meshConfig, defaults);
  }
  return defaults;
}

/** The effective ProxyConfig with what the context derives from it; shared (frozen). */
export interface ProxyConfigView {
  config: Json;
  json: string;
  metadataEnv: Array<{ name: string; value: string }>;
  problem?: string;
}

// Parsing the annotation's YAML costs tens of microseconds: each distinct text is parsed once
// per mesh config (replicas carry the same one). Bounded: texts are up to 16 KiB.
const PROXY_CONFIG_MEMO_ENTRIES = 64;
const proxyConfigsOf = new WeakMap<object, Map<string, ProxyConfigView>>();

export function proxyConfigView(meshConfig: Readonly<Json>, annotation: string | undefined): ProxyConfigView {
  let memo = proxyConfigsOf.get(meshConfig);
  if (memo === undefined) proxyConfigsOf.set(meshConfig, memo = new Map());
  const text = annotation ?? '';
  let view = memo.get(text);
  if (view === undefined) {
    const { config, problem } = effectiveProxyConfig(meshConfig.defaultConfig, annotation);
    view = deepFreeze({
      config,
      json: `${JSON.stringify(config)}\n`,
      metadataEnv: Object.entries(isPlainObject(config.proxyMetadata) ? config.proxyMetadata : {})
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([name, value]) => ({ name, value: str(value) })),
      ...(problem === undefined ? {} : { problem }),
    });
    if (memo.size >= PROXY_CONFIG_MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
    memo.set(text, view);
  }
  return view;
}

/**
 * Why the pod's proxy.istio.io/config is not a valid ProxyConfig (Istio refuses such a
 * pod), or undefined. Checked on every request, whether the render cache hits or not.
 */
export function proxyConfigProblem(pod: Pod, meshConfig: Readonly<Json>): string | undefined {
  return proxyConfigView(meshConfig, pod.metadata?.annotations?.[PROXY_CONFIG_ANNOTATION]).problem;
}
