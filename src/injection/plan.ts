// Where the rendered fragment goes in the pod: which rendered containers and volumes are
// merged into the pod's own (merge by name, merge.ts), which are added, and where. Shared
// by apply (injected object) and patch (RFC 6902 ops) so the two cannot disagree.
import { mergeContainer, mergeVolume, sameJson } from './merge.js';
import type { Container, Fragment, Pod, StringMap, Volume } from './types.js';

/** A pod's entry (at `index` of its list) and what it becomes. */
export interface MergedItem<T> {
  index: number;
  value: T;
}

export interface InjectionPlan {
  /** Everything to add, including the status and default-container annotations; its
   * containers, initContainers and volumes are the ones the pod does not have yet. */
  fragment: Fragment;
  /** The pod's entries a rendered one (same name) was merged into. */
  merged: { containers: MergedItem<Container>[]; initContainers: MergedItem<Container>[]; volumes: MergedItem<Volume>[] };
  /** Proxy containers go before the app's (hold-application-until-proxy-starts); else after. */
  containersFirst: boolean;
  /** Added init containers go before the pod's own (native sidecars, init-first); else after. */
  initContainersFirst: boolean;
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

/** A rendered fragment split into additions and merges against the pod; or why it cannot be. */
export type Placement =
  | { problem: string }
  | { added: Pick<Fragment, 'containers' | 'initContainers' | 'volumes'>; merged: InjectionPlan['merged'] };

function indexByName<T extends { name: string }>(list: readonly T[] | undefined): Map<string, number> {
  const out = new Map<string, number>();
  (list ?? []).forEach((item, i) => out.set(item.name, i));
  return out;
}

/** Names the templates render twice: the pod would be invalid, and no merge can say which wins. */
function duplicate(names: string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** Splits `rendered` into what the pod lacks (added) and what it declares already (merged). */
export function placeFragment(pod: Pod, rendered: Fragment): Placement {
  const spec = pod.spec!;
  const twice = duplicate([...rendered.initContainers, ...rendered.containers].map((c) => c.name));
  if (twice !== undefined) return { problem: `the templates add two containers named "${twice}"` };
  const twiceVolume = duplicate(rendered.volumes.map((v) => v.name));
  if (twiceVolume !== undefined) return { problem: `the templates add two volumes named "${twiceVolume}"` };

  const podContainers = indexByName(spec.containers);
  const podInit = indexByName(spec.initContainers);
  const merged: InjectionPlan['merged'] = { containers: [], initContainers: [], volumes: [] };
  const added: Pick<Fragment, 'containers' | 'initContainers' | 'volumes'> = { containers: [], initContainers: [], volumes: [] };
  for (const [list, own, other, kind] of [
    ['containers', podContainers, podInit, 'an init container'],
    ['initContainers', podInit, podContainers, 'a container'],
  ] as const) {
    for (const c of rendered[list]) {
      // A container cannot be both: the pod's declaration would have to move between lists.
      if (other.has(c.name)) {
        const where = list === 'containers' ? 'a container' : 'an init container';
        return { problem: `the pod declares "${c.name}" as ${kind} but the templates render it as ${where}; declare it under ${list} to override it` };
      }
      const at = own.get(c.name);
      if (at === undefined) added[list].push(c);
      else {
        const value = mergeContainer(spec[list]![at], c);
        if (!sameJson(value, spec[list]![at])) merged[list].push({ index: at, value });
      }
    }
  }
  const podVolumes = indexByName(spec.volumes);
  for (const v of rendered.volumes) {
    const at = podVolumes.get(v.name);
    if (at === undefined) {
      added.volumes.push(v);
      continue;
    }
    const result = mergeVolume(spec.volumes![at], v);
    if ('problem' in result) return { problem: result.problem };
    if (!sameJson(result.value, spec.volumes![at])) merged.volumes.push({ index: at, value: result.value });
  }
  return { added, merged };
}
