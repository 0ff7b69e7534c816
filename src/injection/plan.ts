// Where the rendered fragment goes in the pod. Shared by apply (injected object) and patch
// (RFC 6902 ops) so the two cannot disagree.
import type { Fragment, Pod, StringMap } from './types.js';

export interface InjectionPlan {
  /** Everything to add, including the status and default-container annotations. */
  fragment: Fragment;
  /** Proxy containers go before the app's (hold-application-until-proxy-starts); else after. */
  containersFirst: boolean;
}

/** Keys of `additions` the pod does not already have: a user's own value is never replaced. */
export function newEntries(existing: StringMap | undefined, additions: StringMap): [string, string][] {
  const out: [string, string][] = [];
  for (const key of Object.keys(additions)) {
    if (existing === undefined || !Object.hasOwn(existing, key)) out.push([key, additions[key]]);
  }
  return out;
}

/** Pull secrets the pod does not list yet. */
export function newPullSecrets(pod: Pod, plan: InjectionPlan): Array<{ name: string }> {
  const have = new Set((pod.spec?.imagePullSecrets ?? []).map((s) => s?.name));
  return plan.fragment.imagePullSecrets.filter((s) => !have.has(s.name));
}
