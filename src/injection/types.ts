// Shapes shared by the injection engine and its callers. The engine is pure: it takes
// these values and returns new ones; nothing here does I/O.

export type StringMap = Record<string, string>;

/** The parts of Kubernetes ObjectMeta the engine reads or writes. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: StringMap;
  annotations?: StringMap;
  ownerReferences?: Array<{ kind?: string; name?: string; [k: string]: unknown }>;
  [k: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  [k: string]: unknown;
}

export interface Volume {
  name: string;
  [k: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  imagePullSecrets?: Array<{ name: string }>;
  hostNetwork?: boolean;
  [k: string]: unknown;
}

/** A Pod, or the pod template of a workload (same metadata + spec shape). */
export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: PodSpec;
  [k: string]: unknown;
}

/** What the engine knows about the pod's namespace: from the cache, or CLI flags. */
export interface NamespaceView {
  name: string;
  labels: StringMap;
  annotations: StringMap;
}

/** Where a pod's namespace comes from: the informer cache, or the flags when standalone. */
export interface NamespaceSource {
  /**
   * The namespace's labels and annotations; empty ones for a namespace that does not
   * exist. Rejects with a reason when it cannot be found out (API unreachable).
   */
  get(name: string): Promise<NamespaceView>;
}

/** What kind of admission the pod arrives in; the CLI treats every pod as a CREATE. */
export interface RequestInfo {
  kind: string; // e.g. "Pod", "Deployment"
  operation: string; // CREATE | UPDATE | DELETE | CONNECT
  /** The istio profile: env for the proxy from the webhook's URL path (istio/path-env.ts). */
  proxyEnv?: Readonly<StringMap>;
}

/** Reason codes (INTERFACE.md §2). Stable: used in logs, metrics, explain and warnings. */
export const REASONS = [
  'not-a-pod-create',
  'ignored-namespace',
  'host-network',
  'already-injected',
  'namespace-disabled',
  'pod-opted-out',
  'pod-opted-in',
  'never-inject-selector',
  'always-inject-selector',
  'namespace-enabled',
  'policy-disabled',
  'not-opted-in',
  // The pod must not get the proxy (mesh-conflicts.ts): refused, or skipped by config.
  'foreign-proxy',
  'proxy-uid',
] as const;
export type ReasonCode = (typeof REASONS)[number];

export interface Decision {
  inject: boolean;
  reason: ReasonCode;
}

/** Where an effective setting came from. */
export type SettingSource = 'pod' | 'namespace' | 'config';

/** One resolved per-pod setting, for `explain` and the template context. */
export interface EffectiveSetting {
  /** The setting's name in the template context (`settings.<name>`), e.g. "proxyCPU". */
  name: string;
  /** Its native annotation key without the prefix, e.g. "proxy-cpu". */
  annotation: string;
  /** The parsed value the templates see. */
  value: unknown;
  source: SettingSource;
  /** The exact key that supplied it (e.g. "sidecar.istio.io/proxyCPU"); absent for config. */
  key?: string;
}

/** A Kubernetes LabelSelector (matchLabels + matchExpressions). */
export interface LabelSelector {
  matchLabels?: StringMap;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

/** A template: its name and its parsed JSON-e source (parsed once per config version). */
export interface Template {
  readonly name: string;
  readonly source: unknown;
}

/**
 * A fully validated, immutable configuration. Built by src/config from config.yaml and
 * the *.template.yaml files; the engine never sees raw text.
 */
export interface Snapshot {
  /** Short content hash of the files it was built from; written to the status annotation. */
  readonly revision: string;
  readonly policy: 'enabled' | 'disabled';
  readonly defaultTemplates: readonly string[];
  readonly neverInjectSelector: readonly LabelSelector[];
  readonly alwaysInjectSelector: readonly LabelSelector[];
  readonly ignoredNamespaces: ReadonlySet<string>;
  /** Extra annotations written on every injected pod (pod's own value wins). */
  readonly injectedAnnotations: Readonly<StringMap>;
  readonly compat: { readonly istio: boolean };
  /** A pod carrying another mesh's proxy: refused (`deny`, the default) or left alone (`skip`). */
  readonly foreignProxy?: 'deny' | 'skip';
  /** The data templates see as `values` (deep-frozen). */
  readonly values: Readonly<Record<string, unknown>>;
  /** Istio's mesh config (the istio profile); templates then also see `istio` (src/injection/istio/). */
  readonly meshConfig?: Readonly<Record<string, unknown>>;
  readonly templates: ReadonlyMap<string, Template>;
}

/** What a rendered template adds to the pod. */
export interface Fragment {
  containers: Container[];
  initContainers: Container[];
  volumes: Volume[];
  imagePullSecrets: Array<{ name: string }>;
  annotations: StringMap;
  labels: StringMap;
}

/** One RFC 6902 operation; the engine emits `add`, and `replace` where a merge changes a pod's value. */
/** An RFC 6902 operation; `remove` only moves a container declaration to initContainers. */
export type PatchOperation = { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** Kubernetes HTTPGetAction, as far as probe rewriting reads it. */
export interface HTTPGetAction {
  path?: string;
  port: number | string;
  host?: string;
  scheme?: string;
  httpHeaders?: Array<{ name: string; value: string }>;
  [k: string]: unknown;
}

/** A Kubernetes Probe (liveness, readiness, startup). */
export interface Probe {
  httpGet?: HTTPGetAction;
  tcpSocket?: { port: number | string; host?: string; [k: string]: unknown };
  grpc?: { port: number; service?: string; [k: string]: unknown };
  exec?: unknown;
  timeoutSeconds?: number;
  [k: string]: unknown;
}

/** A Kubernetes LifecycleHandler (postStart, preStop). */
export interface LifecycleHandler {
  httpGet?: HTTPGetAction;
  [k: string]: unknown;
}

export interface Lifecycle {
  postStart?: LifecycleHandler;
  preStop?: LifecycleHandler;
  [k: string]: unknown;
}

/**
 * How the proxy checks one app probe on the kubelet's behalf: Istio's
 * ISTIO_KUBE_APP_PROBERS entry format (one action, named ports resolved to numbers).
 */
export interface AppProber {
  httpGet?: HTTPGetAction & { port: number };
  tcpSocket?: { port: number };
  grpc?: { port: number; service?: string };
  timeoutSeconds?: number;
}
