// The status annotation: what the injector added, so re-injection is a no-op and
// operators (and `explain`) can see which templates and config revision were used.
import type { Fragment } from './types.js';

export const ANNOTATION_PREFIX = 'sidecar-injector.io/';
export const STATUS_ANNOTATION = `${ANNOTATION_PREFIX}status`;
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

export interface InjectionStatus {
  templates: string[];
  containers: string[];
  initContainers: string[];
  volumes: string[];
  imagePullSecrets: string[];
  revision: string;
}

export function injectionStatus(templates: string[], fragment: Fragment, revision: string): InjectionStatus {
  return {
    templates,
    containers: fragment.containers.map((c) => c.name),
    initContainers: fragment.initContainers.map((c) => c.name),
    volumes: fragment.volumes.map((v) => v.name),
    imagePullSecrets: fragment.imagePullSecrets.map((s) => s.name),
    revision,
  };
}
