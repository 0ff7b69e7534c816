// Warnings about pods the injector would inject but never sees, shared by `explain`
// (offline, against deploy/'s default webhooks) and `check` (live): the webhook selectors
// do not send the pod, or the injection keys sit on the workload's own metadata instead of
// its pod template (Istio's IST0107).
import { DEFAULT_WEBHOOK_CONFIGURATION } from '../cluster/default-webhooks.js';
import { evaluateWebhooks, summarizeRouting, type RoutingSummary } from '../cluster/webhook-match.js';
import { ANNOTATION_PREFIX, ISTIO_INJECT_KEY, ISTIO_NAMESPACE_INJECTION_LABEL } from '../injection/settings-catalogue.js';
import type { Pod } from '../injection/types.js';

/** Prefixes of the keys that steer injection (ours and, with Istio compatibility, Istio's). */
const INJECTION_KEY_PREFIXES = [ANNOTATION_PREFIX, 'sidecar.istio.io/', 'traffic.sidecar.istio.io/', 'proxy.istio.io/', 'inject.istio.io/'];

function isInjectionKey(key: string): boolean {
  return INJECTION_KEY_PREFIXES.some((p) => key.startsWith(p));
}

/** One line per excluded webhook: what its selector requires and the label that would fix it. */
export function describeExclusions(routing: RoutingSummary): string {
  return routing.oursExcluded.map((v) => `${v.webhook}: ${v.excludedBy} requires ${v.requirement}${v.fix ? ` (fix: ${v.fix})` : ''}`).join('; ');
}

/**
 * For a pod the injector would inject: a warning when deploy/base's webhooks would not send
 * it (annotation-only opt-in, Istio keys without routing for them). Offline, so evaluated
 * as Kubernetes 1.21+ (namespaces carry kubernetes.io/metadata.name).
 */
export function defaultRoutingWarning(pod: Pod, namespace: { name: string; labels: Readonly<Record<string, string>> }): string | undefined {
  const subject = { namespace, podLabels: pod.metadata?.labels ?? {}, serverMinor: 21 };
  const routing = summarizeRouting(evaluateWebhooks([DEFAULT_WEBHOOK_CONFIGURATION], subject), 'sidecar-injector', subject);
  if (routing.ours.length > 0) return undefined;
  const istio = Object.hasOwn(pod.metadata?.labels ?? {}, ISTIO_INJECT_KEY) || Object.hasOwn(pod.metadata?.annotations ?? {}, ISTIO_INJECT_KEY)
    || Object.hasOwn(namespace.labels, ISTIO_NAMESPACE_INJECTION_LABEL);
  return 'with the webhooks of deploy/base the apiserver would not send this pod to the injector (selectors see labels only, never annotations): '
    + describeExclusions(routing)
    + (istio ? `; Istio's ${ISTIO_INJECT_KEY} / ${ISTIO_NAMESPACE_INJECTION_LABEL} are routed only with webhooks that select them (deploy/README.md)` : '');
}

interface MetaLike {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Injection keys a workload sets on its own metadata, where the injector never looks (IST0107). */
export function misplacedKeyWarnings(kind: string, name: string, objectMeta: MetaLike | undefined): string[] {
  if (kind === 'Pod' || !objectMeta) return [];
  const found = [
    ...Object.keys(objectMeta.labels ?? {}).filter(isInjectionKey).map((k) => `label ${k}`),
    ...Object.keys(objectMeta.annotations ?? {}).filter(isInjectionKey).map((k) => `annotation ${k}`),
  ];
  return found.map((what) => `${kind}/${name} sets the ${what} on its own metadata, where the injector does not look; `
    + 'move it to the pod template\'s metadata (like Istio\'s IST0107 misplaced annotation)');
}
