// The one entry point of the injection engine: decide, resolve settings, render, build
// the patch. Pure: callers pass everything in and get values back.
import type {
  Decision, EffectiveSetting, Fragment, NamespaceView, PatchOperation, Pod, RequestInfo, Snapshot,
} from './types.js';

export interface InjectionOutcome {
  decision: Decision;
  /** Admission warnings (invalid inject value, unknown keys, ...): human-readable lines. */
  warnings: string[];
  /** Set when the pod must be refused (invalid annotation value, name clash): the message. */
  denial?: string;
  /** Every effective setting with its source; empty unless the decision was to inject. */
  settings: EffectiveSetting[];
  /** Templates rendered, in order; empty unless injected. */
  templates: string[];
  /** What the templates added; absent unless injected. */
  fragment?: Fragment;
  /** RFC 6902 `add` operations against the pod as given; empty unless injected. */
  patch: PatchOperation[];
}

/** Runs the whole pipeline for one pod (or pod template). Never throws for bad pod input. */
export function evaluatePod(
  _pod: Pod, _namespace: NamespaceView, _snapshot: Snapshot, _request: RequestInfo,
): InjectionOutcome {
  throw new Error('not implemented yet');
}

/** The injected pod: a new object (the input is not modified). Same result as applying `patch`. */
export function applyOutcome(_pod: Pod, _outcome: InjectionOutcome): Pod {
  throw new Error('not implemented yet');
}
