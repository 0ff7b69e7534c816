// @ts-check
// The render of each profile, the default and `istio` (issue 13), on one review: on a
// render-cache miss (a different pod every call, as the first pod of each workload) and on
// a hit (the same pod, as every replica), each through the engine's own steps
// (resolveSettings, probe rewriting, templateContext, renderTemplatesCached).
import path from 'node:path';
import { TEMPLATES_DIR } from './paths.js';
import { loadProgram } from './program.js';

const { loadConfigDir } = await loadProgram('config/load-dir.js');
const { compileSnapshot } = await loadProgram('config/compile.js');
const { resolveSettings } = await loadProgram('injection/resolve-settings.js');
const { readableMetadata } = await loadProgram('injection/pod-shape.js');
const { contextRenderKey, renderTemplatesCached, templateContext } = await loadProgram('injection/render.js');
const { renderCacheOf } = await loadProgram('injection/render-cache.js');
const { rewriteAppProbes, templateAppProbers } = await loadProgram('injection/probe-hook.js');

/**
 * Each profile: its config folder and the namespace label that enables injection.
 * @type {Array<{ id: string, dir: string, labels: Record<string, string> }>}
 */
export const PROFILES = [
  { id: 'default', dir: TEMPLATES_DIR, labels: { 'sidecar-injection': 'enabled' } },
  { id: 'istio', dir: path.join(TEMPLATES_DIR, 'profiles', 'istio'), labels: { 'istio-injection': 'enabled' } },
];

/** Native sidecars auto-detected on, as on a 1.33 cluster (Istio's own test cluster). */
const cluster = { kubernetesVersion: '1.33', oldestKubeletVersion: null };

/**
 * The render steps of one profile for `pod`, as functions of the pod: throws when the
 * profile would not inject it (the figure would then measure nothing).
 * @param {typeof PROFILES[number]} profile
 * @param {import('../../src/injection/types.js').Pod} pod
 * @param {string} namespaceName
 */
export async function profileRender(profile, pod, namespaceName) {
  const snapshot = compileSnapshot(await loadConfigDir(profile.dir), { ownNamespace: 'sidecar-injector' });
  const namespace = { name: namespaceName, labels: profile.labels, annotations: {} };
  const first = resolveSettings(readableMetadata(pod), namespace, snapshot, cluster);
  if (first.denial || first.templates.length === 0) throw new Error(`the ${profile.id} profile does not inject the pod: ${first.denial ?? 'no templates'}`);
  const values = /** @type {{ proxy?: { ports?: { status?: unknown } } }} */ (snapshot.values);
  const statusPort = typeof values.proxy?.ports?.status === 'number' ? values.proxy.ports.status : 15021;
  /** @param {import('../../src/injection/types.js').Pod} p */
  return (p) => {
    const { settings, templates } = resolveSettings(readableMetadata(p), namespace, snapshot, cluster);
    const probes = settings.rewriteProbes === true ? rewriteAppProbes(p.spec ?? { containers: [] }, { statusPort, excludedInboundPorts: [] }) : undefined;
    const context = templateContext(p, namespace, settings, snapshot, { cluster, appProbers: templateAppProbers(probes) });
    return renderTemplatesCached(templates, snapshot, context);
  };
}

/**
 * The steps of a render-cache hit of one profile on `pod`, each timed alone (the causes of
 * the istio profile's hit, measured): resolving settings, rewriting probes, building the
 * context, building the key, looking it up; and the key's length.
 * @param {typeof PROFILES[number]} profile
 * @param {import('../../src/injection/types.js').Pod} pod
 * @param {string} namespaceName
 */
export async function profileHitStages(profile, pod, namespaceName) {
  const snapshot = compileSnapshot(await loadConfigDir(profile.dir), { ownNamespace: 'sidecar-injector' });
  const namespace = { name: namespaceName, labels: profile.labels, annotations: {} };
  const { settings, templates } = resolveSettings(readableMetadata(pod), namespace, snapshot, cluster);
  const values = /** @type {{ proxy?: { ports?: { status?: unknown } } }} */ (snapshot.values);
  const options = { statusPort: typeof values.proxy?.ports?.status === 'number' ? values.proxy.ports.status : 15021, excludedInboundPorts: [] };
  const rewrite = () => (settings.rewriteProbes === true ? rewriteAppProbes(pod.spec ?? { containers: [] }, options) : undefined);
  const context = () => templateContext(pod, namespace, settings, snapshot, { cluster, appProbers: templateAppProbers(rewrite()) });
  const built = context();
  renderTemplatesCached(templates, snapshot, built); // the entry the lookups find
  const key = contextRenderKey(templates, snapshot, built) ?? '';
  const cache = renderCacheOf(snapshot);
  const probes = rewrite();
  return {
    keyChars: key.length,
    stages: {
      resolveSettings: () => resolveSettings(readableMetadata(pod), namespace, snapshot, cluster),
      probes: rewrite,
      context: () => templateContext(pod, namespace, settings, snapshot, { cluster, appProbers: templateAppProbers(probes) }),
      key: () => contextRenderKey(templates, snapshot, built),
      lookup: () => cache.get(key),
    },
  };
}

/**
 * A different pod on every call, so each render misses the cache: the render cache keys on
 * what the templates read, the labels for the default profile's, the annotations for the
 * istio profile's, so both carry `bench-distinct: N`.
 * @param {import('../../src/injection/types.js').Pod} pod
 */
export function distinctPods(pod) {
  let n = 0;
  const meta = pod.metadata ?? {};
  return () => {
    const distinct = { 'bench-distinct': String(++n) };
    return { ...pod, metadata: { ...meta, labels: { ...meta.labels, ...distinct }, annotations: { ...meta.annotations, ...distinct } } };
  };
}
