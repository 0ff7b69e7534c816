// The status annotation: what the injector added and modified, so re-injection is a no-op
// and operators (and `explain`) can see which templates and config revision were used.
import type { InjectionPlan } from './plan.js';

export const ANNOTATION_PREFIX = 'sidecar-injector.io/';
export const STATUS_ANNOTATION = `${ANNOTATION_PREFIX}status`;
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

export interface InjectionStatus {
  templates: string[];
  /** Added by the injector. */
  containers: string[];
  initContainers: string[];
  volumes: string[];
  imagePullSecrets: string[];
  revision: string;
  /** The pod's own entries a rendered one was merged into (each present only when not empty). */
  modifiedContainers?: string[];
  modifiedInitContainers?: string[];
  modifiedVolumes?: string[];
}

export function injectionStatus(templates: string[], plan: Pick<InjectionPlan, 'fragment' | 'merged'>, revision: string): InjectionStatus {
  const { fragment, merged } = plan;
  const status: InjectionStatus = {
    templates,
    containers: fragment.containers.map((c) => c.name),
    initContainers: fragment.initContainers.map((c) => c.name),
    volumes: fragment.volumes.map((v) => v.name),
    imagePullSecrets: fragment.imagePullSecrets.map((s) => s.name),
    revision,
  };
  // Only when not empty: the status of a pod with nothing merged reads as before merging existed.
  if (merged.containers.length > 0) status.modifiedContainers = merged.containers.map((m) => m.value.name);
  if (merged.initContainers.length > 0) status.modifiedInitContainers = merged.initContainers.map((m) => m.value.name);
  if (merged.volumes.length > 0) status.modifiedVolumes = merged.volumes.map((m) => m.value.name);
  return status;
}
