// The UID and GID the proxy runs as (Istio's template's ProxyUID and ProxyGID): 1337, or on
// OpenShift (values.global.platform, istiod's PLATFORM) the top of the UID range and of
// the first supplemental group range OpenShift pre-allocates to the pod's namespace (its
// `openshift.io/sa.scc.*` annotations): OpenShift's restricted policy refuses other IDs.
import type { StringMap } from '../types.js';
import { isPlainObject } from '../plain-object.js';
import { at, str, type Json } from './json.js';
import { INIT_CONTAINER, PROXY_CONTAINER, VALIDATION_CONTAINER } from './names.js';

export const DEFAULT_PROXY_ID = 1337;
const UID_RANGE = 'openshift.io/sa.scc.uid-range';
const SUPPLEMENTAL_GROUPS = 'openshift.io/sa.scc.supplemental-groups';
const MAX_UINT32 = 0xffffffff;

export interface ProxyIds { uid: number; gid: number }

/** Whether Istio runs on OpenShift (`coalesce .Values.global.platform .Values.platform`, as istiod's PLATFORM). */
export function onOpenShift(values: Readonly<Json>): boolean {
  return (str(at(values, 'global', 'platform')) || str(values.platform)) === 'openshift';
}

// Go's Sscanf("%d/%d") or ("%d-%d") over uint32: spaces before each number, text after the second ignored.
const BLOCK = /^\s*(\d+)([/-])\s*(\d+)/;

/** The last ID of an OpenShift block (`start/size` or `start-end`), as Istio computes it in uint32; undefined when unreadable. */
export function blockEnd(text: string): number | undefined {
  const m = BLOCK.exec(text);
  if (!m || (m[2] === '/') !== text.includes('/')) return undefined;
  const first = Number(m[1]);
  const second = Number(m[3]);
  if (first > MAX_UINT32 || second > MAX_UINT32) return undefined;
  return m[2] === '/' ? (first + second - 1) >>> 0 : second;
}

export const DEFAULT_PROXY_IDS: Readonly<ProxyIds> = Object.freeze({ uid: DEFAULT_PROXY_ID, gid: DEFAULT_PROXY_ID });

/** The proxy's IDs for a pod in a namespace with these annotations; undefined for the defaults off OpenShift (a shorter render key). */
export function proxyIds(values: Readonly<Json>, namespaceAnnotations: StringMap | undefined): ProxyIds | undefined {
  if (!onOpenShift(values)) return undefined;
  if (namespaceAnnotations === undefined) return DEFAULT_PROXY_IDS;
  const uidRange = namespaceAnnotations[UID_RANGE];
  const uid = uidRange ? blockEnd(uidRange) : undefined;
  // Groups fall back to the UID range; every block must read, the first one counts.
  const groups = Object.hasOwn(namespaceAnnotations, SUPPLEMENTAL_GROUPS) ? namespaceAnnotations[SUPPLEMENTAL_GROUPS] : uidRange;
  const blocks = groups ? groups.split(',').map(blockEnd) : [];
  const gid = blocks.length > 0 && blocks.every((b) => b !== undefined) ? blocks[0]! : undefined;
  return { uid: uid ?? DEFAULT_PROXY_ID, gid: gid ?? DEFAULT_PROXY_ID };
}

function runAsUser(c: Json): unknown {
  return isPlainObject(c.securityContext) ? c.securityContext.runAsUser ?? 0 : 0;
}

/**
 * On OpenShift, whether the pod's own istio-proxy loses its runAsUser and runAsGroup:
 * OpenShift gives every container of a pod the same runAsUser, and a proxy running as the
 * app's user cannot tell its own traffic from the app's. As Istio: when the declaration has
 * a securityContext and its runAsUser (0 when unset) equals the last app container's that
 * sets one (0 when none does).
 */
export function resetsProxyUser(values: Readonly<Json>, containers: readonly unknown[]): boolean {
  if (!onOpenShift(values)) return false;
  let proxy: unknown = 0;
  let app: unknown = 0;
  let declared = false;
  for (const c of containers) {
    if (!isPlainObject(c)) continue;
    if (c.name === PROXY_CONTAINER) {
      declared = isPlainObject(c.securityContext);
      proxy = runAsUser(c);
    } else if (c.name !== VALIDATION_CONTAINER && c.name !== INIT_CONTAINER && isPlainObject(c.securityContext) && c.securityContext.runAsUser !== undefined) {
      app = c.securityContext.runAsUser;
    }
  }
  return declared && proxy === app;
}

/** `container` without its securityContext's runAsUser and runAsGroup. */
export function withoutUser<C extends { securityContext?: unknown }>(container: C): C {
  if (!isPlainObject(container.securityContext)) return container;
  const { runAsUser: _u, runAsGroup: _g, ...rest } = container.securityContext;
  return { ...container, securityContext: rest };
}
