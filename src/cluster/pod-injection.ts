// What a running pod carries: our status annotation (which config revision injected it),
// and proxies of other meshes. Also the pod as it was before we injected it, so the live
// configuration can be asked what it would decide for that pod today. Pure.
import { STATUS_ANNOTATION, type InjectionStatus } from '../injection/status.js';
import type { Pod } from '../injection/types.js';

/** Containers and annotations other meshes' injectors leave on a pod. */
const FOREIGN_CONTAINERS: Readonly<Record<string, string>> = {
  'istio-proxy': 'istio',
  'linkerd-proxy': 'linkerd',
  'kuma-sidecar': 'kuma',
  'consul-dataplane': 'consul',
  'consul-connect-envoy-sidecar': 'consul',
  daprd: 'dapr',
};
const FOREIGN_ANNOTATIONS: Readonly<Record<string, string>> = {
  'sidecar.istio.io/status': 'istio',
  'linkerd.io/proxy-version': 'linkerd',
  'kuma.io/sidecar-injected': 'kuma',
  'consul.hashicorp.com/connect-inject-status': 'consul',
};

export interface PodInjection {
  /** Our status annotation is present and parses. */
  injected: boolean;
  status?: InjectionStatus;
  /** Our proxy containers (from the status) actually present in the pod. */
  ourContainers: string[];
  /** Other meshes' proxies, e.g. `container istio-proxy (istio)`. */
  foreign: string[];
}

function parseStatus(raw: string | undefined): InjectionStatus | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<InjectionStatus>;
    if (typeof value !== 'object' || value === null) return undefined;
    const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return {
      templates: list(value.templates), containers: list(value.containers), initContainers: list(value.initContainers),
      volumes: list(value.volumes), imagePullSecrets: list(value.imagePullSecrets),
      revision: typeof value.revision === 'string' ? value.revision : '',
    };
  } catch {
    return undefined;
  }
}

function containerNames(pod: Pod): string[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
}

export function inspectPod(pod: Pod): PodInjection {
  const annotations = pod.metadata?.annotations ?? {};
  const status = parseStatus(annotations[STATUS_ANNOTATION]);
  const names = containerNames(pod);
  const added = new Set(status ? [...status.initContainers, ...status.containers] : []);
  const ourContainers = names.filter((n) => added.has(n));
  // A mesh whose proxy we injected (the istio profile's istio-proxy): its marker annotation
  // came with our injection (the profile writes Istio's status), so it is ours too.
  const ownMeshes = new Set([...added].filter((n) => Object.hasOwn(FOREIGN_CONTAINERS, n)).map((n) => FOREIGN_CONTAINERS[n]));
  const foreign = [
    ...names.filter((n) => Object.hasOwn(FOREIGN_CONTAINERS, n) && !added.has(n)).map((n) => `container ${n} (${FOREIGN_CONTAINERS[n]})`),
    ...Object.keys(annotations).filter((k) => Object.hasOwn(FOREIGN_ANNOTATIONS, k) && !ownMeshes.has(FOREIGN_ANNOTATIONS[k]))
      .map((k) => `annotation ${k} (${FOREIGN_ANNOTATIONS[k]})`),
  ];
  return { injected: status !== undefined, ...(status ? { status } : {}), ourContainers, foreign };
}

/** The pod without what our status says we added: what the apiserver sent us at creation. */
export function withoutInjection(pod: Pod): Pod {
  const status = parseStatus(pod.metadata?.annotations?.[STATUS_ANNOTATION]);
  if (!status || !pod.spec) return pod;
  const annotations = { ...pod.metadata?.annotations };
  delete annotations[STATUS_ANNOTATION];
  const drop = <T extends { name: string }>(list: T[] | undefined, names: string[]): T[] | undefined => {
    const dropped = new Set(names);
    return list?.filter((x) => !dropped.has(x.name));
  };
  return {
    ...pod,
    metadata: { ...pod.metadata, annotations },
    spec: {
      ...pod.spec,
      containers: drop(pod.spec.containers, status.containers) ?? [],
      initContainers: drop(pod.spec.initContainers, status.initContainers),
      volumes: drop(pod.spec.volumes, status.volumes),
      imagePullSecrets: drop(pod.spec.imagePullSecrets, status.imagePullSecrets),
    },
  };
}
