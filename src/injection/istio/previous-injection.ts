// What an earlier injection wrote into a pod submitted again (`istioctl kube-inject`
// output applied where injection is on, a copy of an injected pod): Istio's status names
// the containers it added. Those declarations are the injector's own, not the user's
// overrides: re-injecting refreshes them from the template (merge.ts refreshContainer), as
// Istio does, so a mesh upgrade reaches them. Pure.
import { isPlainObject } from '../plain-object.js';
import type { PreviousInjection } from '../plan.js';
import type { Pod } from '../types.js';
import { ISTIO_STATUS_ANNOTATION } from './go-annotations.js';

function names(value: unknown): Set<string> {
  return new Set(Array.isArray(value) ? value.filter((n): n is string => typeof n === 'string') : []);
}

/** From the pod's Istio status; undefined when it has none. A status that is not JSON names nothing, as in Istio. */
export function previousInjection(pod: Pod): PreviousInjection | undefined {
  const text = pod.metadata?.annotations?.[ISTIO_STATUS_ANNOTATION];
  if (typeof text !== 'string') return undefined;
  let status: unknown;
  try {
    status = JSON.parse(text);
  } catch {
    status = undefined;
  }
  const record = isPlainObject(status) ? status : {};
  return { containers: names(record.containers), initContainers: names(record.initContainers), volumes: names(record.volumes) };
}
