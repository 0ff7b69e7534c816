// Merge by name: a rendered container (or volume) named like one the pod declares is merged
// into the pod's, the way Istio's injector does it (a strategic merge of the template into
// the pod, then the pod's own declaration applied again on top). The pod's declaration
// wins: it is the user's override of what the template renders. A declaration a previous
// injection wrote (refreshContainer) is the one exception: there the template wins.
// - A field only the template sets is added; a field both set keeps the pod's value.
// - Mappings (resources, securityContext, probes, lifecycle, ...) merge the same way, deeply.
// - Lists with a merge key in Kubernetes' strategic merge (env by name, volumeMounts by
//   mountPath, ports by containerPort, ...) keep the pod's entries as the pod wrote them, in
//   order, and gain the template's entries with other keys after them.
// - Other lists (args, command, envFrom, capabilities) are atomic: the pod's replaces the
//   template's, as in Istio, so a pod that sets `args` on the proxy gives all of them.
// - `image: auto` in the pod means "the rendered image".
// Pure; never modifies its inputs (they may be frozen, shared cache entries).
import type { Container, Volume } from './types.js';
import { isPlainObject } from './plain-object.js';

/** The image value that asks for the rendered one (Istio's custom-injection convention). */
export const AUTO_IMAGE = 'auto';

/** Kubernetes' strategic-merge keys of the Container lists. */
const CONTAINER_LIST_KEYS: Readonly<Record<string, string>> = Object.freeze({
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  resizePolicy: 'resourceName',
});

type Json = Record<string, unknown>;

/** Sets an own property, also for keys such as `__proto__` that plain assignment would not. */
export function setOwn(target: Json, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function copyOwn(source: Json): Json {
  const out: Json = {};
  for (const key of Object.keys(source)) setOwn(out, key, source[key]);
  return out;
}

/** `pod`'s mapping with the fields only `rendered` has added, recursively; the pod's values win. */
function mergeMaps(pod: Json, rendered: Json): Json {
  const out = copyOwn(pod);
  for (const key of Object.keys(rendered)) {
    const mine = Object.hasOwn(pod, key) ? pod[key] : undefined;
    const theirs = rendered[key];
    if (mine === undefined || mine === null) setOwn(out, key, theirs);
    else if (isPlainObject(mine) && isPlainObject(theirs)) setOwn(out, key, mergeMaps(mine, theirs));
  }
  return out;
}

function keyOf(item: unknown, mergeKey: string): unknown {
  return isPlainObject(item) && Object.hasOwn(item, mergeKey) ? item[mergeKey] : undefined;
}

/** The pod's entries, then the template's entries whose merge key the pod does not use. */
function mergeKeyedList(pod: unknown[], rendered: unknown[], mergeKey: string): unknown[] {
  const taken = new Set(pod.map((item) => keyOf(item, mergeKey)));
  const extra = rendered.filter((item) => !taken.has(keyOf(item, mergeKey)));
  return extra.length === 0 ? pod : [...pod, ...extra];
}

/** Deep equality of two JSON values (key order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
}

/**
 * Kubernetes' strategic merge of a list with a merge key (apimachinery's strategicpatch, as
 * Istio's injector applies it): each of `patch`'s entries replaces `server`'s of the same
 * key. The result has the patch's entries in the patch's order, and the server's other
 * entries interleaved: each goes before the first patch entry that the server listed after
 * it (Kubernetes' order-preserving merge). Entries without the key never match.
 */
export function strategicList<T>(server: readonly T[], patch: readonly T[], mergeKey: string): T[] {
  // Every patch entry is kept, a repeated key too (duplicate env names are valid).
  const patchKeys = new Set(patch.map((item) => keyOf(item, mergeKey)));
  patchKeys.delete(undefined);
  const serverAt = new Map<unknown, number>();
  server.forEach((item, i) => {
    const key = keyOf(item, mergeKey);
    if (key !== undefined && !serverAt.has(key)) serverAt.set(key, i);
  });
  const serverOnly = server.filter((item) => {
    const key = keyOf(item, mergeKey);
    return key === undefined || !patchKeys.has(key);
  });
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patch.length) {
    if (j >= patch.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(patch[j++]);
    else {
      const left = serverAt.get(keyOf(serverOnly[i], mergeKey));
      const right = serverAt.get(keyOf(patch[j], mergeKey));
      out.push(left !== undefined && right !== undefined && left < right ? serverOnly[i++] : patch[j++]);
    }
  }
  return out;
}

/**
 * Override order, for the pod's declaration of a container the templates inject: Istio
 * merges the template into the pod, then the pod's declaration onto that, each a strategic
 * merge. So the pod's entries win and keep their order, and the template's others keep
 * their places around them: an override that adds env after the template's may refer to
 * its variables (`$(POD_NAME)`), as Kubernetes expands only variables defined before.
 */
function overrideKeyedList(pod: unknown[], rendered: unknown[], mergeKey: string): unknown[] {
  return strategicList(strategicList(pod, rendered, mergeKey), pod, mergeKey);
}

/**
 * The pod's container with the rendered one merged into it (see the rules above). `override`:
 * the pod's declaration is an override of a container the templates inject, whose keyed
 * lists take override order (overrideKeyedList); else the template edits the pod's container,
 * whose entries stay first.
 */
export function mergeContainer(pod: Container, rendered: Container, override = false): Container {
  const out = copyOwn(pod);
  for (const key of Object.keys(rendered)) {
    const mine = Object.hasOwn(pod, key) ? pod[key] : undefined;
    const theirs = rendered[key];
    if (mine === undefined || mine === null || (key === 'image' && mine === AUTO_IMAGE)) setOwn(out, key, theirs);
    else if (Array.isArray(mine) && Array.isArray(theirs) && Object.hasOwn(CONTAINER_LIST_KEYS, key)) {
      setOwn(out, key, (override ? overrideKeyedList : mergeKeyedList)(mine, theirs, CONTAINER_LIST_KEYS[key]));
    } else if (isPlainObject(mine) && isPlainObject(theirs)) setOwn(out, key, mergeMaps(mine, theirs));
  }
  return out as Container;
}

/**
 * A declaration an earlier injection wrote (the pod carries its status: `istioctl
 * kube-inject` output, a copy of an injected pod) with the rendered container merged onto
 * it, as Istio re-injects: the template wins (a new proxy image, new env values), and what
 * only the old declaration has stays (a strategic merge of the template into the pod).
 */
export function refreshContainer(old: Container, rendered: Container): Container {
  const out = copyOwn(old);
  for (const key of Object.keys(rendered)) {
    const mine = Object.hasOwn(old, key) ? old[key] : undefined;
    const theirs = rendered[key];
    if (theirs === undefined || theirs === null) continue;
    if (Array.isArray(mine) && Array.isArray(theirs) && Object.hasOwn(CONTAINER_LIST_KEYS, key)) {
      setOwn(out, key, strategicList(mine, theirs, CONTAINER_LIST_KEYS[key]));
    } else if (isPlainObject(mine) && isPlainObject(theirs)) setOwn(out, key, mergeMaps(theirs, mine));
    else setOwn(out, key, theirs);
  }
  return out as Container;
}

/** The volume source's field (emptyDir, configMap, projected, ...). */
function sourceKinds(volume: Volume): string[] {
  return Object.keys(volume).filter((k) => k !== 'name').sort();
}

/**
 * The pod's volume with the rendered one merged into it, or why they cannot merge: two
 * different sources (an emptyDir and a configMap, say) would make an invalid volume.
 */
export function mergeVolume(pod: Volume, rendered: Volume): { value: Volume } | { problem: string } {
  const mine = sourceKinds(pod);
  const theirs = sourceKinds(rendered);
  if (mine.length > 0 && mine.join() !== theirs.join()) {
    return { problem: `the pod's volume "${pod.name}" is ${mine.join('+')} but the template renders it as ${theirs.join('+') || 'no source'}; they cannot be merged` };
  }
  return { value: mergeMaps(pod, rendered) as Volume };
}

/** A volume an earlier injection wrote, refreshed from the template: its values win; a source of another kind replaces the old one. */
export function refreshVolume(old: Volume, rendered: Volume): Volume {
  return sourceKinds(old).join() === sourceKinds(rendered).join() ? mergeMaps(rendered, old) as Volume : rendered;
}

/**
 * `container` with the given fields replaced (not merged): what a rewrite that must win over
 * the pod's own values (probe rewriting) produces. Absent fields are left as they are.
 */
export function overrideFields(container: Container, fields: Record<string, unknown>): Container {
  const out = copyOwn(container);
  for (const key of Object.keys(fields)) {
    if (key !== 'name' && fields[key] !== undefined) setOwn(out, key, fields[key]);
  }
  return out as Container;
}
