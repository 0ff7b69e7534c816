// Builds the injected pod from the original and the plan. Copies only the path it changes
// (metadata maps, spec arrays); everything else is shared with the input, never mutated.
import { keptAnnotations, newEntries, newPullSecrets, type InjectionPlan, type MergedItem } from './plan.js';
import type { Pod, StringMap } from './types.js';

function withEntries(existing: StringMap | undefined, additions: StringMap): StringMap | undefined {
  const entries = newEntries(existing, additions);
  if (entries.length === 0) return existing;
  return { ...existing, ...Object.fromEntries(entries) };
}

/**
 * `list` with the merged entries in place, the `removed` indexes gone and `added` before or
 * after; undefined stays undefined when nothing changes.
 */
function edited<T>(list: T[] | undefined, merged: MergedItem<T>[], added: T[], front: boolean, removed: number[] = []): T[] | undefined {
  if (merged.length === 0 && added.length === 0 && removed.length === 0) return list;
  let out = [...(list ?? [])];
  for (const { index, value } of merged) out[index] = value;
  if (removed.length > 0) out = out.filter((_, i) => !removed.includes(i));
  return front ? [...added, ...out] : [...out, ...added];
}

export function applyPlan(pod: Pod, plan: InjectionPlan): Pod {
  const { fragment, merged } = plan;
  const meta = pod.metadata ?? {};
  const spec = pod.spec ?? { containers: [] };
  const metadata = { ...meta };
  const annotations = withEntries(keptAnnotations(meta.annotations, plan), fragment.annotations);
  if (annotations !== undefined) metadata.annotations = annotations;
  const labels = withEntries(meta.labels, fragment.labels);
  if (labels !== undefined) metadata.labels = labels;

  const newSpec = { ...spec };
  newSpec.containers = edited(spec.containers, merged.containers, fragment.containers, plan.containersFirst, plan.relocated.containers)!;
  const initContainers = edited(spec.initContainers, merged.initContainers, fragment.initContainers, plan.initContainersFirst, plan.relocated.initContainers);
  if (initContainers !== undefined) newSpec.initContainers = initContainers;
  const volumes = edited(spec.volumes, merged.volumes, fragment.volumes, plan.volumesAndPullSecretsFirst, plan.relocated.volumes);
  if (volumes !== undefined) newSpec.volumes = volumes;
  const secrets = edited(spec.imagePullSecrets, [], newPullSecrets(pod, plan), plan.volumesAndPullSecretsFirst);
  if (secrets !== undefined) newSpec.imagePullSecrets = secrets;
  return { ...pod, metadata, spec: newSpec };
}
