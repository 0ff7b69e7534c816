// Renders templates with JSON-e. Values enter as data, never as text, so nothing a pod
// says can add fields to the result: a hostile annotation stays a string.
import { compiledTemplate } from './template-compile.js';
import { emptyFragment, FragmentError, mergeFragment, toFragment } from './fragment.js';
import { istioContextOf, istioPodInputs, type IstioContext, type IstioPodInputs } from './istio/context.js';
import { goOverrides, goStatus, ISTIO_OVERRIDES_ANNOTATION, ISTIO_STATUS_ANNOTATION } from './istio/go-annotations.js';
import { withClusterInfo } from './istio/cluster-env.js';
import { frozenCopy, renderCacheOf, renderKey } from './render-cache.js';
import type { TemplateAppProbers } from './probe-hook.js';
import { clusterContext, UNKNOWN_CLUSTER, type ClusterInfo } from './native-sidecar.js';
import type { Fragment, NamespaceView, ObjectMeta, Pod, PodSpec, Snapshot, StringMap } from './types.js';

/** What a template sees. Documented in the README (Templates). */
export interface TemplateContext {
  pod: {
    name: string;
    generateName: string;
    namespace: string;
    labels: StringMap;
    annotations: StringMap;
    serviceAccountName: string;
    /** The app containers' names (kept for templates written before `spec`). */
    containers: string[];
    /** The whole PodSpec as the pod declares it: read-only (the render never changes the pod). */
    spec: PodSpec | Record<string, never>;
    ownerReferences: NonNullable<ObjectMeta['ownerReferences']>;
  };
  namespace: { name: string; labels: StringMap; annotations: StringMap };
  settings: Record<string, unknown>;
  values: Readonly<Record<string, unknown>>;
  revision: string;
  cluster: { kubernetesVersion: string | null; nativeSidecars: boolean };
  /** Probe rewriting's probers, by status-port path (probe-hook.ts); null when it is off. */
  appProbers: TemplateAppProbers;
  /** Only with a `meshConfig` (the istio profile): what Istio's injector computes in Go. */
  istio?: IstioContext;
}

/** What else a render depends on besides the pod, namespace and settings. */
export interface RenderEnvironment {
  cluster?: ClusterInfo;
  appProbers?: TemplateAppProbers;
  /** The istio profile: env for the proxy from the webhook's URL path (istio/path-env.ts). */
  proxyEnv?: Readonly<StringMap>;
}

/**
 * The istio profile's `istio`, computed on first read: a render cache hit never reads it.
 * Kept on the context under a symbol (templates see string keys only), with what it is
 * computed from (the render cache keys on `inputs`).
 */
const LAZY_ISTIO: unique symbol = Symbol('lazy istio');
interface LazyIstio {
  inputs: IstioPodInputs;
  annotations: StringMap;
  values: Snapshot['values'];
  meshConfig: NonNullable<Snapshot['meshConfig']>;
  built?: IstioContext;
}
type BuiltContext = TemplateContext & { [LAZY_ISTIO]?: LazyIstio };

// One getter for every context: a getter closure per context made each context a new
// hidden class (microseconds per request).
const LAZY_ISTIO_PROPERTY: PropertyDescriptor = {
  enumerable: true,
  get(this: BuiltContext): IstioContext {
    const lazy = this[LAZY_ISTIO]!;
    return (lazy.built ??= istioContextOf(lazy.inputs, lazy.annotations, lazy.values, lazy.meshConfig));
  },
};

export function templateContext(
  pod: Pod, namespace: NamespaceView, settings: Record<string, unknown>, snapshot: Snapshot, env: RenderEnvironment = {},
): TemplateContext {
  const meta = pod.metadata ?? {};
  const spec = pod.spec;
  const clusterInfo = env.cluster ?? UNKNOWN_CLUSTER;
  const context: TemplateContext = {
    pod: {
      name: typeof meta.name === 'string' ? meta.name : '',
      generateName: typeof meta.generateName === 'string' ? meta.generateName : '',
      namespace: namespace.name,
      labels: meta.labels ?? {},
      annotations: meta.annotations ?? {},
      serviceAccountName: typeof spec?.serviceAccountName === 'string' ? spec.serviceAccountName
        : typeof spec?.serviceAccount === 'string' ? spec.serviceAccount : '',
      containers: Array.isArray(spec?.containers) ? spec.containers.map((c) => String(c?.name)) : [],
      spec: typeof spec === 'object' && spec !== null ? spec : {},
      ownerReferences: Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [],
    },
    namespace: { name: namespace.name, labels: namespace.labels, annotations: namespace.annotations },
    settings,
    values: snapshot.values,
    revision: snapshot.revision,
    cluster: clusterContext(clusterInfo),
    appProbers: env.appProbers ?? null,
  };
  const { meshConfig } = snapshot;
  if (meshConfig === undefined) return context;
  // The istio profile: a few cheap reads of the pod now; the context itself only when a
  // template is rendered (a render cache hit never needs it). Native sidecars as Istio
  // auto-detects them: undefined when the cluster's version is unknown.
  const versionKnown = clusterInfo.kubernetesVersion !== null || clusterInfo.oldestKubeletVersion !== null;
  const inputs = istioPodInputs(pod, namespace, snapshot.values, versionKnown ? context.cluster.nativeSidecars : undefined, env.proxyEnv);
  (context as BuiltContext)[LAZY_ISTIO] = { inputs, annotations: context.pod.annotations, values: snapshot.values, meshConfig };
  return Object.defineProperty(context, 'istio', LAZY_ISTIO_PROPERTY);
}

/**
 * Renders the named templates in order and merges their fragments. Throws FragmentError
 * (naming the template) when a template fails or renders something that is not a fragment.
 */
export function renderTemplates(names: readonly string[], snapshot: Snapshot, context: TemplateContext): Fragment {
  let fragment = emptyFragment();
  for (const name of names) {
    const template = snapshot.templates.get(name);
    if (!template) throw new FragmentError(name, '(root)', 'no such template');
    let rendered: unknown;
    try {
      rendered = compiledTemplate(template)(context as unknown as Record<string, unknown>);
    } catch (err) {
      throw new FragmentError(name, '(render)', (err as Error).message);
    }
    fragment = mergeFragment(fragment, toFragment(name, rendered));
  }
  return context.istio === undefined ? fragment : withGoAnnotations(withClusterInfo(fragment, context.istio.clusterEnv));
}

/** The istio profile's status and record of the pod's overrides as Istio writes them (Go's field order). */
function withGoAnnotations(fragment: Fragment): Fragment {
  const { annotations } = fragment;
  const status = annotations[ISTIO_STATUS_ANNOTATION];
  const overrides = annotations[ISTIO_OVERRIDES_ANNOTATION];
  if (status === undefined && overrides === undefined) return fragment;
  return {
    ...fragment,
    annotations: {
      ...annotations,
      ...(status === undefined ? {} : { [ISTIO_STATUS_ANNOTATION]: goStatus(status) }),
      ...(overrides === undefined ? {} : { [ISTIO_OVERRIDES_ANNOTATION]: goOverrides(overrides) }),
    },
  };
}

/** The render cache's key for rendering `names` with `context` (render-cache.ts renderKey), undefined when not cached. */
export function contextRenderKey(names: readonly string[], snapshot: Snapshot, context: TemplateContext): string | undefined {
  return renderKey(names, snapshot, context, (context as BuiltContext)[LAZY_ISTIO]?.inputs);
}

/**
 * renderTemplates through the config version's render cache. The result is frozen and may
 * be shared with other requests: callers copy what they change. Errors are not cached.
 */
export function renderTemplatesCached(names: readonly string[], snapshot: Snapshot, context: TemplateContext): Fragment {
  const key = contextRenderKey(names, snapshot, context);
  if (key === undefined) return renderTemplates(names, snapshot, context);
  const cache = renderCacheOf(snapshot);
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const fragment = frozenCopy(renderTemplates(names, snapshot, context));
  cache.set(key, fragment);
  return fragment;
}
