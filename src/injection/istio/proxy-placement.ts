// istio-proxy in a container list, the pod's own declaration of it, and the merged one
// wherever placeFragment put it (added, relocated or merged in place): the one spot where
// the istio profile adjusts what the merge of a pod's override gave, as Istio's injector
// does after applying the override (tproxy-root.ts, previous-probers.ts). Pure.
import type { Placement } from '../plan.js';
import type { Container, Pod } from '../types.js';
import { isPlainObject } from '../plain-object.js';
import { PROXY_CONTAINER } from './context.js';

export type Placed = Exclude<Placement, { problem: string }>;

/** The container named istio-proxy in `containers`. */
export function proxyIn(containers: readonly Container[] | undefined): Container | undefined {
  return containers?.find((c) => isPlainObject(c) && c.name === PROXY_CONTAINER);
}

/** The pod's own istio-proxy declaration, under containers first (as istioPodInputs looks). */
export function declaredProxyOf(pod: Pod): Container | undefined {
  return proxyIn(pod.spec?.containers) ?? proxyIn(pod.spec?.initContainers);
}

/** The placement with `update` applied to the container named istio-proxy. */
export function withProxy(placement: Placed, update: (proxy: Container) => Container): Placed {
  const at = (c: Container): Container => (c.name === PROXY_CONTAINER ? update(c) : c);
  const { added, merged } = placement;
  return {
    ...placement,
    added: { ...added, containers: added.containers.map(at), initContainers: added.initContainers.map(at) },
    merged: {
      ...merged,
      containers: merged.containers.map((m) => ({ index: m.index, value: at(m.value) })),
      initContainers: merged.initContainers.map((m) => ({ index: m.index, value: at(m.value) })),
    },
  };
}
