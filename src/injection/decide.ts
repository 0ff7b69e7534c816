// The injection decision (INTERFACE.md §2): nine ordered rules, first match wins.
import { istioKeyWarnings } from './istio-keys.js';
import { readableMetadata } from './pod-shape.js';
import { anySelectorMatches } from './selectors.js';
import { readNamespaceInjection, readPodInjectIntent } from './intent.js';
import { STATUS_ANNOTATION } from './status.js';
import type { Decision, NamespaceView, Pod, RequestInfo, Snapshot } from './types.js';

export interface DecisionResult extends Decision {
  warnings: string[];
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

function decision(inject: boolean, reason: Decision['reason'], warnings: string[]): DecisionResult {
  return { inject, reason, warnings };
}

/**
 * The decision, with warnings for the pod's Istio keys we do not implement when it is to be
 * injected (Istio compatibility on): a pod written for Istio would otherwise lose them silently.
 */
export function decide(pod: Pod, namespace: NamespaceView, snapshot: Snapshot, request: RequestInfo): DecisionResult {
  const result = decideByRules(pod, namespace, snapshot, request);
  if (result.inject && snapshot.compat.istio) result.warnings.push(...istioKeyWarnings(readableMetadata(pod).annotations));
  return result;
}

function decideByRules(pod: Pod, namespace: NamespaceView, snapshot: Snapshot, request: RequestInfo): DecisionResult {
  if (request.kind !== 'Pod' || request.operation !== 'CREATE') return decision(false, 'not-a-pod-create', []);
  if (snapshot.ignoredNamespaces.has(namespace.name)) return decision(false, 'ignored-namespace', []);
  if ((pod.spec as { hostNetwork?: unknown } | undefined)?.hostNetwork === true) return decision(false, 'host-network', []);
  const meta = readableMetadata(pod);
  if (meta.annotations?.[STATUS_ANNOTATION] !== undefined) return decision(false, 'already-injected', []);

  const compat = snapshot.compat.istio;
  const nsInjection = readNamespaceInjection(namespace, compat).value;
  if (nsInjection === 'disabled') return decision(false, 'namespace-disabled', []);

  const intent = readPodInjectIntent(meta, compat);
  const warnings = intent.warnings;
  if (intent.value === false) return decision(false, 'pod-opted-out', warnings);
  if (intent.value === true) return decision(true, 'pod-opted-in', warnings);

  const labels = meta.labels ?? EMPTY;
  if (anySelectorMatches(snapshot.neverInjectSelector, labels)) return decision(false, 'never-inject-selector', warnings);
  if (anySelectorMatches(snapshot.alwaysInjectSelector, labels)) return decision(true, 'always-inject-selector', warnings);

  if (nsInjection === 'enabled') {
    return snapshot.policy === 'enabled'
      ? decision(true, 'namespace-enabled', warnings)
      : decision(false, 'policy-disabled', warnings);
  }
  return decision(false, 'not-opted-in', warnings);
}
