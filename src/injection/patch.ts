// RFC 6902 patch built directly from the plan: only `add` operations, never a diff of the
// whole pod (cheaper, and it cannot emit a `replace` of a user's field).
import { newEntries, newPullSecrets, type InjectionPlan } from './plan.js';
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
    mapOps('/metadata/annotations', meta.annotations, fragment.annotations, ops);
    mapOps('/metadata/labels', meta.labels, fragment.labels, ops);
  }
  const spec = pod.spec!; // the engine refuses pods without spec.containers before planning
  listOps('/spec/initContainers', spec.initContainers, fragment.initContainers, true, ops);
  listOps('/spec/containers', spec.containers, fragment.containers, plan.containersFirst, ops);
  listOps('/spec/volumes', spec.volumes, fragment.volumes, false, ops);
  listOps('/spec/imagePullSecrets', spec.imagePullSecrets, newPullSecrets(pod, plan), false, ops);
  return ops;
}

/** JSON.stringify(ops), reusing the JSON of values shared between requests. */
export function patchJson(ops: readonly PatchOperation[]): string {
  let text = '';
  for (const op of ops) {
    text += `${text === '' ? '' : ','}{"op":${JSON.stringify(op.op)},"path":${JSON.stringify(op.path)},"value":${toJson(op.value)}}`;
  }
  return `[${text}]`;
}
