// istio-proxy in a container list, the pod's own declaration of it, and the merged one
// wherever placeFragment put it (added, relocated or merged in place): the one spot where
// the istio profile adjusts what the merge of a pod's override gave, as Istio's injector
// does after applying the override (tproxy-root.ts, previous-probers.ts, and quantities
// written as Go writes them). Pure.
import type { Placement } from '../plan.js';
import type { Container, Fragment, Pod } from '../types.js';
import { isPlainObject } from '../plain-object.js';
import { canonicalQuantityOf } from '../quantity.js';
import { PROXY_CONTAINER } from './names.js';

export type Placed = Exclude<Placement, { problem: string }>;

/** The container named istio-proxy in `containers`. */
export function proxyIn(containers: readonly Container[] | undefined): Container | undefined {
  return containers?.find((c) => isPlainObject(c) && c.name === PROXY_CONTAINER);
}

/** The pod's own istio-proxy declaration, under containers first (as istioPodInputs looks). */
export function declaredProxyOf(pod: Pod): Container | undefined {
  return proxyIn(pod.spec?.containers) ?? proxyIn(pod.spec?.initContainers);
}

/** The placement with `update` applied to every container it adds or merges. */
function withContainers(placement: Placed, update: (container: Container) => Container): Placed {
  const { added, merged } = placement;
  return {
    ...placement,
    added: { ...added, containers: added.containers.map(update), initContainers: added.initContainers.map(update) },
    merged: {
      ...merged,
      containers: merged.containers.map((m) => ({ index: m.index, value: update(m.value) })),
      initContainers: merged.initContainers.map((m) => ({ index: m.index, value: update(m.value) })),
    },
  };
}

/** The placement with `update` applied to the container named istio-proxy. */
export function withProxy(placement: Placed, update: (proxy: Container) => Container): Placed {
  return withContainers(placement, (c) => (c.name === PROXY_CONTAINER ? update(c) : c));
}

/** A resources map (limits, requests) with its quantities canonical; the same object when they are already. */
function canonicalResources(resources: unknown): unknown {
  if (!isPlainObject(resources)) return resources;
  let out: Record<string, unknown> | undefined;
  for (const [kind, list] of Object.entries(resources)) {
    if (!isPlainObject(list)) continue;
    for (const [name, quantity] of Object.entries(list)) {
      const canonical = canonicalQuantityOf(quantity);
      if (canonical === quantity) continue;
      out ??= { ...resources };
      const copy = (out[kind] === list ? (out[kind] = { ...list }) : out[kind]) as Record<string, unknown>;
      copy[name] = canonical;
    }
  }
  return out ?? resources;
}

/**
 * The injected containers' resources as Go writes them (Istio round-trips the pod through
 * Go's types): an override's `cpu: 3000m` is written `3`, as the API server stores it anyway.
 */
export function withCanonicalResources(placement: Placed, injected: ReadonlySet<string>): Placed {
  return withContainers(placement, (c) => {
    if (!injected.has(c.name)) return c;
    const resources = canonicalResources(c.resources);
    return resources === c.resources ? c : { ...c, resources: resources as Container['resources'] };
  });
}

/**
 * The placement with the merged istio-proxy running as the rendered one does: on OpenShift
 * Istio drops the runAsUser and runAsGroup of a pod's own istio-proxy that runs as the app
 * (proxy-ids.ts resetsProxyUser) before applying it.
 */
export function withRenderedUser(placement: Placed, rendered: Fragment): Placed {
  const ids = proxyIn(rendered.initContainers)?.securityContext ?? proxyIn(rendered.containers)?.securityContext;
  return withProxy(placement, (c) => {
    const context = isPlainObject(c.securityContext) ? { ...c.securityContext } : {};
    for (const field of ['runAsUser', 'runAsGroup'] as const) {
      if (isPlainObject(ids) && ids[field] !== undefined) context[field] = ids[field];
      else delete context[field];
    }
    return { ...c, securityContext: context };
  });
}
