// A pod injected before and submitted again (`istioctl kube-inject` output, a copy of an
// injected pod) declares the old istio-proxy, which as an override wins the merge, with the
// old ISTIO_KUBE_APP_PROBERS. The app probes the old injection rewrote point at the agent
// already (only the old env says what they check); a container added since is rewritten
// now. Istio merges the old probers with the new ones; so does this: else the agent has
// no prober for the new container's paths, answers them 404, and the kubelet restarts it.
import type { AppProber, Container, Fragment, Pod } from '../types.js';
import { isPlainObject } from '../plain-object.js';
import { proberPathContainer } from '../probe-rewrite.js';
import { ISTIO_STATUS_ANNOTATION } from './go-annotations.js';
import { declaredProxyOf, proxyIn, withProxy, type Placed } from './proxy-placement.js';
const PROBERS_ENV = 'ISTIO_KUBE_APP_PROBERS';
type Env = Array<{ name?: unknown; value?: unknown }>;

function probersEnv(container: Container | undefined): { name?: unknown; value?: unknown } | undefined {
  return Array.isArray(container?.env) ? (container.env as Env).find((e) => isPlainObject(e) && e.name === PROBERS_ENV) : undefined;
}

/** The probers of the pod's own istio-proxy when the pod was injected before (Istio's status), else undefined. */
export function previousProbers(pod: Pod): Record<string, AppProber> | undefined {
  if (!Object.hasOwn(pod.metadata?.annotations ?? {}, ISTIO_STATUS_ANNOTATION)) return undefined;
  const value = probersEnv(declaredProxyOf(pod))?.value;
  let old: unknown;
  try {
    old = typeof value === 'string' ? JSON.parse(value) : undefined;
  } catch {
    return undefined;
  }
  if (!isPlainObject(old)) return undefined;
  const probers: Record<string, AppProber> = {};
  // Only keys that are prober paths (probe-rewrite.ts): any other key of the old env is not one.
  for (const [path, prober] of Object.entries(old)) if (proberPathContainer(path) !== undefined && isPlainObject(prober)) probers[path] = prober as AppProber;
  return probers;
}

/** The placement with the merged istio-proxy's ISTIO_KUBE_APP_PROBERS as rendered (the old and new probers). */
export function withRenderedProbers(placement: Placed, rendered: Fragment): Placed {
  const value = probersEnv(proxyIn(rendered.containers) ?? proxyIn(rendered.initContainers))?.value;
  if (typeof value !== 'string') return placement;
  return withProxy(placement, (c) => (Array.isArray(c.env)
    ? { ...c, env: (c.env as Env).map((e) => (isPlainObject(e) && e.name === PROBERS_ENV ? { ...e, value } : e)) as Container['env'] }
    : c));
}
