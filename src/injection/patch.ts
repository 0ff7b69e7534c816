// RFC 6902 patch built directly from the plan, never a diff of the whole pod (cheaper, and
// minimal): `add` for what is new; for an entry a rendered one was merged into, the
// operations from the pod's entry to the merged one (`add` for new fields, `replace` where
// a value changes: `image: auto`); `remove` only for a container declaration whose merged
// value is added elsewhere (plan.relocated).
import { sameJson } from './merge.js';
import { isPlainObject } from './plain-object.js';
import { keptAnnotations, newEntries, newPullSecrets, type InjectionPlan, type MergedItem } from './plan.js';
import { toJson } from './shared-json.js';
import type { PatchOperation, Pod, StringMap } from './types.js';

/** JSON Pointer escaping of one key (RFC 6901): `~` → `~0`, `/` → `~1`. */
export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function mapOps(base: string, existing: StringMap | undefined, additions: StringMap, ops: PatchOperation[]): void {
  const entries = newEntries(existing, additions);
  if (entries.length === 0) return;
  if (existing === undefined) {
    ops.push({ op: 'add', path: base, value: Object.fromEntries(entries) });
    return;
  }
  for (const [k, v] of entries) ops.push({ op: 'add', path: `${base}/${escapePointer(k)}`, value: v });
}

/** Appends `items` to the array at `path` (creating it when absent), or inserts them at the front. */
function listOps(path: string, existing: unknown[] | undefined, items: unknown[], front: boolean, ops: PatchOperation[]): void {
  if (items.length === 0) return;
  if (existing === undefined) {
    ops.push({ op: 'add', path, value: items });
    return;
  }
  items.forEach((item, i) => ops.push({ op: 'add', path: front ? `${path}/${i}` : `${path}/-`, value: item }));
}

/** The operations turning `before` into `after` at `path`: adds where it can, a replace where not. */
export function diffOps(path: string, before: unknown, after: unknown, ops: PatchOperation[]): void {
  if (sameJson(before, after)) return;
  if (isPlainObject(before) && isPlainObject(after) && Object.keys(before).every((k) => Object.hasOwn(after, k))) {
    for (const key of Object.keys(after)) {
      const at = `${path}/${escapePointer(key)}`;
      if (!Object.hasOwn(before, key)) ops.push({ op: 'add', path: at, value: after[key] });
      else diffOps(at, before[key], after[key], ops);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && after.length >= before.length) {
    if (before.every((item, i) => sameJson(item, after[i]))) {
      for (const item of after.slice(before.length)) ops.push({ op: 'add', path: `${path}/-`, value: item });
      return;
    }
    if (after.length === before.length) {
      before.forEach((item, i) => diffOps(`${path}/${i}`, item, after[i], ops));
      return;
    }
  }
  ops.push({ op: 'replace', path, value: after });
}

function mergedOps<T>(path: string, list: T[] | undefined, merged: MergedItem<T>[], ops: PatchOperation[]): void {
  for (const { index, value } of merged) diffOps(`${path}/${index}`, list![index], value, ops);
}

export function buildPatch(pod: Pod, plan: InjectionPlan): PatchOperation[] {
  const ops: PatchOperation[] = [];
  const { fragment } = plan;
  const meta = pod.metadata;
  if (meta === undefined) {
    const metadata: Record<string, StringMap> = {};
    if (Object.keys(fragment.annotations).length > 0) metadata.annotations = fragment.annotations;
    if (Object.keys(fragment.labels).length > 0) metadata.labels = fragment.labels;
    ops.push({ op: 'add', path: '/metadata', value: metadata });
  } else {
    for (const key of plan.removedAnnotations) {
      if (meta.annotations !== undefined && Object.hasOwn(meta.annotations, key)) ops.push({ op: 'remove', path: `/metadata/annotations/${escapePointer(key)}` });
    }
    mapOps('/metadata/annotations', keptAnnotations(meta.annotations, plan), fragment.annotations, ops);
    mapOps('/metadata/labels', meta.labels, fragment.labels, ops);
  }
  const spec = pod.spec!; // the engine refuses pods without spec.containers before planning
  // Merges first: their indexes are the pod's, before any insertion at the front.
  mergedOps('/spec/initContainers', spec.initContainers, plan.merged.initContainers, ops);
  mergedOps('/spec/containers', spec.containers, plan.merged.containers, ops);
  mergedOps('/spec/volumes', spec.volumes, plan.merged.volumes, ops);
  // Declarations whose merged value is added elsewhere (plan.relocated): removed last index
  // first, so each index is still the pod's.
  for (const list of ['initContainers', 'containers', 'volumes'] as const) {
    for (const index of [...plan.relocated[list]].reverse()) ops.push({ op: 'remove', path: `/spec/${list}/${index}` });
  }
  listOps('/spec/initContainers', spec.initContainers, fragment.initContainers, plan.initContainersFirst, ops);
  listOps('/spec/containers', spec.containers, fragment.containers, plan.containersFirst, ops);
  listOps('/spec/volumes', spec.volumes, fragment.volumes, plan.volumesAndPullSecretsFirst, ops);
  listOps('/spec/imagePullSecrets', spec.imagePullSecrets, newPullSecrets(pod, plan), plan.volumesAndPullSecretsFirst, ops);
  return ops;
}

/** JSON.stringify(ops), reusing the JSON of values shared between requests. */
export function patchJson(ops: readonly PatchOperation[]): string {
  let text = '';
  for (const op of ops) {
    const value = op.op === 'remove' ? '' : `,"value":${toJson(op.value)}`;
    text += `${text === '' ? '' : ','}{"op":${JSON.stringify(op.op)},"path":${JSON.stringify(op.path)}${value}}`;
  }
  return `[${text}]`;
}
