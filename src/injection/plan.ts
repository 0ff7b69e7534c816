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
  /** Indexes (ascending) of the pod's containers that move to initContainers: the pod declares
   * a container the templates render as a native sidecar; the merged one is in the fragment. */
  movedToInit: number[];
  /** Proxy containers go before the app's (hold-application-until-proxy-starts); else after. */
  containersFirst: boolean;
  /** Added init containers go before the pod's own (native sidecars, init-first); else after. */
  initContainersFirst: boolean;
  /** Added volumes and pull secrets go before the pod's own (the istio profile: Istio's merge puts what it renders first); else after. */
  volumesAndPullSecretsFirst: boolean;
  /** The pod's annotations the injection takes away (the istio profile's metrics merge moves the scrape ones into the proxy). */
  removedAnnotations: readonly string[];
}

/** Keys of `additions` the pod does not already have: a user's own value is never replaced. */
export function newEntries(existing: StringMap | undefined, additions: StringMap): [string, string][] {
  const out: [string, string][] = [];
  for (const key of Object.keys(additions)) {
    if (existing === undefined || !Object.hasOwn(existing, key)) out.push([key, additions[key]]);
  }
  return out;
}

/** The pod's annotations less the removed ones: what the fragment's are added to. */
export function keptAnnotations(existing: StringMap | undefined, plan: InjectionPlan): StringMap | undefined {
  if (existing === undefined || plan.removedAnnotations.length === 0) return existing;
  const kept = { ...existing };
  for (const key of plan.removedAnnotations) delete kept[key];
  return kept;
}

/** Pull secrets the pod does not list yet. */
export function newPullSecrets(pod: Pod, plan: InjectionPlan): Array<{ name: string }> {
  const have = new Set((pod.spec?.imagePullSecrets ?? []).map((s) => s?.name));
  return plan.fragment.imagePullSecrets.filter((s) => !have.has(s.name));
}

/** A rendered fragment split into additions and merges against the pod; or why it cannot be. */
export type Placement =
  | { problem: string }
  | { added: Pick<Fragment, 'containers' | 'initContainers' | 'volumes'>; merged: InjectionPlan['merged']; movedToInit: number[] };

function indexByName<T extends { name: string }>(list: readonly T[] | undefined): Map<string, number> {
  const out = new Map<string, number>();
  (list ?? []).forEach((item, i) => out.set(item.name, i));
  return out;
}

/**
 * The rendered entries with those of one name merged into the first (the first template's
 * values win, as for annotations): several templates may each contribute to one container
 * (an app container gaining env from two templates, say).
 */
function foldByName<T extends { name: string }>(list: readonly T[], merge: (first: T, later: T) => T | { problem: string }): T[] | { problem: string } {
  const out: T[] = [];
  const at = new Map<string, number>();
  for (const item of list) {
    const i = at.get(item.name);
    if (i === undefined) {
      at.set(item.name, out.length);
      out.push(item);
      continue;
    }
    const merged = merge(out[i], item);
    if ('problem' in merged) return merged;
    out[i] = merged;
  }
  return out;
}

function volumeMerge(first: Volume, later: Volume): Volume | { problem: string } {
  const merged = mergeVolume(first, later);
  return 'problem' in merged ? { problem: `the templates render the volume "${first.name}" twice, of different kinds` } : merged.value;
}

/** Splits `rendered` into what the pod lacks (added) and what it declares already (merged). */
export function placeFragment(pod: Pod, fragment: Fragment): Placement {
  const spec = pod.spec!;
  const containers = foldByName(fragment.containers, mergeContainer);
  const initContainers = foldByName(fragment.initContainers, mergeContainer);
  const volumes = foldByName(fragment.volumes, volumeMerge);
  if ('problem' in containers || 'problem' in initContainers || 'problem' in volumes) {
    return { problem: ('problem' in volumes ? volumes : containers as { problem: string }).problem };
  }
  const both = containers.find((c) => initContainers.some((i) => i.name === c.name));
  if (both) return { problem: `the templates render "${both.name}" both as a container and as an init container` };
  const rendered = { containers, initContainers, volumes };

  const podContainers = indexByName(spec.containers);
  const podInit = indexByName(spec.initContainers);
  const merged: InjectionPlan['merged'] = { containers: [], initContainers: [], volumes: [] };
  const added: Pick<Fragment, 'containers' | 'initContainers' | 'volumes'> = { containers: [], initContainers: [], volumes: [] };
  const movedToInit: number[] = [];
  for (const [list, own, other, kind] of [
    ['containers', podContainers, podInit, 'an init container'],
    ['initContainers', podInit, podContainers, 'a container'],
  ] as const) {
    for (const c of rendered[list]) {
      const declared = other.get(c.name);
      // As Istio: a pod written for sidecar containers declares its override of the proxy
      // under containers; with native sidecars the declaration moves to initContainers.
      if (declared !== undefined && list === 'initContainers' && c.restartPolicy === 'Always' && !own.has(c.name)) {
        added.initContainers.push(mergeContainer(spec.containers[declared], c));
        movedToInit.push(declared);
        continue;
      }
      // Any other container in both lists: the pod's declaration would have to move the other way.
      if (declared !== undefined) {
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
  return { added, merged, movedToInit: movedToInit.sort((a, b) => a - b) };
}
