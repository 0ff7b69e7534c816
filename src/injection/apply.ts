// Builds the injected pod from the original and the plan. Copies only the path it changes
// (metadata maps, spec arrays); everything else is shared with the input, never mutated.
import { newEntries, newPullSecrets, type InjectionPlan } from './plan.js';
import type { Pod, StringMap } from './types.js';

function withEntries(existing: StringMap | undefined, additions: StringMap): StringMap | undefined {
  const entries = newEntries(existing, additions);
  if (entries.length === 0) return existing;
  return { ...existing, ...Object.fromEntries(entries) };
}

export function applyPlan(pod: Pod, plan: InjectionPlan): Pod {
  const { fragment } = plan;
  const meta = pod.metadata ?? {};
  const spec = pod.spec ?? { containers: [] };
  const metadata = { ...meta };
  const annotations = withEntries(meta.annotations, fragment.annotations);
  if (annotations !== undefined) metadata.annotations = annotations;
  const labels = withEntries(meta.labels, fragment.labels);
  if (labels !== undefined) metadata.labels = labels;

  const newSpec = { ...spec };
  newSpec.containers = plan.containersFirst
    ? [...fragment.containers, ...spec.containers]
    : [...spec.containers, ...fragment.containers];
  if (fragment.initContainers.length > 0) newSpec.initContainers = [...fragment.initContainers, ...(spec.initContainers ?? [])];
  if (fragment.volumes.length > 0) newSpec.volumes = [...(spec.volumes ?? []), ...fragment.volumes];
  const secrets = newPullSecrets(pod, plan);
  if (secrets.length > 0) newSpec.imagePullSecrets = [...(spec.imagePullSecrets ?? []), ...secrets];
  return { ...pod, metadata, spec: newSpec };
}
