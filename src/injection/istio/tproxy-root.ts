// In TPROXY mode Istio's proxy runs as root: Envoy needs it for its transparent sockets (a
// non-root process does not keep the NET_ADMIN capability the template adds). A pod's own
// istio-proxy override that sets runAsUser would otherwise win the merge and leave a proxy
// that cannot intercept; Istio's injector sets it back to 0 after applying the override,
// and so does this (the override's runAsGroup and every other field still win). Pure.
import type { Container, Fragment, Pod, StringMap } from '../types.js';
import { isPlainObject } from '../plain-object.js';
import { proxyConfigView } from './config-defaults.js';
import type { Json } from './json.js';
import { PROXY_CONFIG_ANNOTATION } from './proxy-config.js';
import { declaredProxyOf, withProxy, type Placed } from './proxy-placement.js';

const MODE_ANNOTATION = 'sidecar.istio.io/interceptionMode';

/** Whether the pod's istio-proxy override sets runAsUser in TPROXY mode (Istio's test: the ProxyConfig's mode, or the annotation). */
export function tproxyOverridesUser(pod: Pod, rendered: Fragment, meshConfig: Readonly<Json>): boolean {
  const context = declaredProxyOf(pod)?.securityContext;
  if (!isPlainObject(context) || context.runAsUser === undefined || context.runAsUser === null) return false;
  const annotations: StringMap = pod.metadata?.annotations ?? {};
  const mode = annotations[MODE_ANNOTATION] ?? rendered.annotations[MODE_ANNOTATION];
  return mode === 'TPROXY' || proxyConfigView(meshConfig, annotations[PROXY_CONFIG_ANNOTATION]).config.interceptionMode === 'TPROXY';
}

function asRoot(c: Container): Container {
  const context = isPlainObject(c.securityContext) ? c.securityContext : {};
  return { ...c, securityContext: { ...context, runAsUser: 0 } };
}

/** The placement with the merged istio-proxy running as root, wherever the merge put it. */
export function proxyAsRoot(placement: Placed): Placed {
  return withProxy(placement, asRoot);
}
