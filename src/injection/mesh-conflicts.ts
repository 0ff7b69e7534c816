// Pods the injector must not give its proxy: one that already carries another mesh's proxy
// (two proxies, two captures: traffic loops or bypasses both), and one whose app runs as
// the proxy's UID (the capture exempts that UID, so the app's traffic would bypass it).
import type { Container, Fragment, Pod } from './types.js';
import { isPlainObject } from './plain-object.js';

/**
 * Container names other meshes inject: their proxies and their capture init containers.
 * Not `envoy`: Open Service Mesh and App Mesh call their proxy that, and so do we.
 */
export const FOREIGN_PROXY_CONTAINERS: ReadonlyMap<string, string> = new Map([
  ['istio-proxy', 'Istio'], ['istio-init', 'Istio'], ['istio-validation', 'Istio'],
  ['linkerd-proxy', 'Linkerd'], ['linkerd-init', 'Linkerd'],
  ['kuma-sidecar', 'Kuma'], ['kuma-init', 'Kuma'],
  ['consul-dataplane', 'Consul'], ['envoy-sidecar', 'Consul'], ['consul-connect-inject-init', 'Consul'],
  ['nginx-mesh-sidecar', 'NGINX Service Mesh'], ['nginx-mesh-init', 'NGINX Service Mesh'],
]);

export type ForeignProxyPolicy = 'deny' | 'skip';

export interface MeshConflict {
  reason: 'foreign-proxy' | 'proxy-uid';
  message: string;
}

function listOf(value: unknown): Container[] {
  return Array.isArray(value) ? value.filter(isPlainObject) as Container[] : [];
}

function securityNumber(container: unknown, field: 'runAsUser' | 'runAsGroup'): unknown {
  return isPlainObject(container) && isPlainObject(container.securityContext) ? container.securityContext[field] : undefined;
}

/**
 * Whether the rendered fragment adds a proxy: a container, or an init container that keeps
 * running (native sidecar), running as the proxy's UID, or in its group (TPROXY runs the
 * proxy as root in the proxy's group). The capture exempts exactly that identity.
 */
export function addsProxy(fragment: Fragment, proxyUid: number): boolean {
  const longRunning = [...fragment.containers, ...fragment.initContainers.filter((c) => c.restartPolicy === 'Always')];
  return longRunning.some((c) => securityNumber(c, 'runAsUser') === proxyUid || securityNumber(c, 'runAsGroup') === proxyUid);
}

/**
 * The first container of another mesh in the pod, with the mesh's name. Names in `rendered`
 * are the templates' own (the istio profile renders `istio-proxy`): the pod's declaration
 * of one is the user's override of it, merged by name, not another mesh.
 */
export function foreignProxy(pod: Pod, rendered: ReadonlySet<string> = new Set()): { container: string; mesh: string } | undefined {
  // Containers first: the proxy names the mesh better than its capture init container.
  for (const c of [...listOf(pod.spec?.containers), ...listOf(pod.spec?.initContainers)]) {
    if (rendered.has(c.name)) continue;
    const mesh = typeof c.name === 'string' ? FOREIGN_PROXY_CONTAINERS.get(c.name) : undefined;
    if (mesh !== undefined) return { container: c.name, mesh };
  }
  return undefined;
}

/**
 * An app container (or native sidecar) that runs as `uid`: its own runAsUser, else the
 * pod's. Containers named in `injected` are the pod's overrides of injected ones, not apps.
 */
export function appAtProxyUid(pod: Pod, uid: number, injected: ReadonlySet<string> = new Set()): string | undefined {
  const podUser = securityNumber(pod.spec, 'runAsUser');
  const serving = [...listOf(pod.spec?.containers), ...listOf(pod.spec?.initContainers).filter((c) => c.restartPolicy === 'Always')];
  for (const c of serving) {
    if (injected.has(c.name)) continue;
    const own = securityNumber(c, 'runAsUser');
    if ((own ?? podUser) === uid) return typeof c.name === 'string' ? c.name : '(unnamed)';
  }
  return undefined;
}

/** Why the pod must not get the proxy the fragment adds; undefined when it may. */
export function meshConflict(pod: Pod, fragment: Fragment, proxyUid: unknown): MeshConflict | undefined {
  if (typeof proxyUid !== 'number' || !addsProxy(fragment, proxyUid)) return undefined;
  const injected = new Set([...fragment.containers, ...fragment.initContainers].map((c) => c.name));
  const foreign = foreignProxy(pod, injected);
  if (foreign) {
    return {
      reason: 'foreign-proxy',
      message: `the pod already has container "${foreign.container}", injected by ${foreign.mesh}; `
        + 'a second proxy would capture the same traffic (remove the other mesh\'s injection, or opt the pod out)',
    };
  }
  const app = appAtProxyUid(pod, proxyUid, injected);
  if (app !== undefined) {
    return {
      reason: 'proxy-uid',
      message: `container "${app}" runs as UID ${proxyUid}, the proxy's: the traffic capture exempts that UID, `
        + 'so its traffic would bypass the proxy (run it as another user)',
    };
  }
  return undefined;
}
