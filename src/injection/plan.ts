// Where the rendered fragment goes in the pod: which rendered containers and volumes are
// merged into the pod's own (merge by name, merge.ts), which are added, and where. Shared
// by apply (injected object) and patch (RFC 6902 ops) so the two cannot disagree.
import { mergeContainer, mergeVolume, refreshContainer, refreshVolume, sameJson, strategicList } from './merge.js';
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
  /** Indexes (ascending) of the pod's declarations whose merged value is among the fragment's
   * (relocation, placeFragment): they are removed from where the pod wrote them. */
  relocated: Relocated;
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

/** Per list, the indexes (ascending) of the pod's declarations that move (see placeFragment). */
export interface Relocated { containers: number[]; initContainers: number[]; volumes: number[] }

/** The names of the pod's declarations an earlier injection wrote (a pod submitted again), per list. */
export interface PreviousInjection {
  containers: ReadonlySet<string>;
  initContainers: ReadonlySet<string>;
  volumes: ReadonlySet<string>;
}

/** Where added containers and volumes go: before the pod's own (true) or after. */
export interface AddedFirst { containers: boolean; initContainers: boolean; volumes: boolean }

/** A rendered fragment split into additions and merges against the pod; or why it cannot be. */
export type Placement =
  | { problem: string }
  | { added: Pick<Fragment, 'containers' | 'initContainers' | 'volumes'>; merged: InjectionPlan['merged']; relocated: Relocated };

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

/** The names of the pod's `list` once `removed` are gone and `added` are placed. */
function namesAfter(list: readonly Container[], removed: readonly number[], added: readonly Container[], first: boolean): string[] {
  const kept = list.filter((_, i) => !removed.includes(i)).map((c) => c.name);
  const names = added.map((c) => c.name);
  return first ? [...names, ...kept] : [...kept, ...names];
}

const sameNames = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((n, i) => n === b[i]);

/**
 * Splits `rendered` into what the pod lacks (added) and what it declares already (merged).
 * A container the templates inject (it names its image) that the pod declares too is the
 * pod's override of it: the merged container goes where injected ones go (`addedFirst`), as
 * Istio moves its proxy and init containers, so holding the app for the proxy and keeping
 * the capture after the app's init containers hold for overrides too; it stays in place
 * when that is where it would go anyway (a smaller patch). A rendered container without an
 * image edits the pod's container of that name in place (an app container gaining env).
 * A declaration `previous` names (written by an earlier injection, in the same list) is
 * refreshed instead: the template wins (merge.ts refreshContainer).
 */
export function placeFragment(pod: Pod, fragment: Fragment, addedFirst: AddedFirst, previous?: PreviousInjection): Placement {
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
  const relocated: Relocated = { containers: [], initContainers: [], volumes: [] };
  // Declared injected containers, merged: `moving` lists them, `addedIfMoved` is `added` with them in rendered order.
  const moving = { containers: [] as MergedItem<Container>[], initContainers: [] as MergedItem<Container>[] };
  const addedIfMoved = { containers: [] as Container[], initContainers: [] as Container[] };
  for (const [list, own, other, kind] of [
    ['containers', podContainers, podInit, 'an init container'],
    ['initContainers', podInit, podContainers, 'a container'],
  ] as const) {
    for (const c of rendered[list]) {
      const declared = other.get(c.name);
      // As Istio: a pod written for sidecar containers declares its override of the proxy
      // under containers; with native sidecars the declaration moves to initContainers.
      if (declared !== undefined && list === 'initContainers' && c.restartPolicy === 'Always' && !own.has(c.name)) {
        const value = mergeContainer(spec.containers[declared], c, true);
        added.initContainers.push(value);
        addedIfMoved.initContainers.push(value);
        relocated.containers.push(declared);
        continue;
      }
      // Any other container in both lists: the pod's declaration would have to move the other way.
      if (declared !== undefined) {
        const where = list === 'containers' ? 'a container' : 'an init container';
        return { problem: `the pod declares "${c.name}" as ${kind} but the templates render it as ${where}; declare it under ${list} to override it` };
      }
      const at = own.get(c.name);
      if (at === undefined) {
        added[list].push(c);
        addedIfMoved[list].push(c);
        continue;
      }
      const injects = typeof c.image === 'string';
      const value = injects && previous?.[list].has(c.name) ? refreshContainer(spec[list]![at], c) : mergeContainer(spec[list]![at], c, injects);
      if (injects) {
        moving[list].push({ index: at, value });
        addedIfMoved[list].push(value);
      } else if (!sameJson(value, spec[list]![at])) merged[list].push({ index: at, value });
    }
  }
  for (const list of ['containers', 'initContainers'] as const) {
    if (moving[list].length === 0) continue;
    const own = spec[list] ?? [];
    const indexes = moving[list].map((m) => m.index);
    const inPlace = namesAfter(own, relocated[list], added[list], addedFirst[list]);
    if (sameNames(inPlace, namesAfter(own, [...relocated[list], ...indexes], addedIfMoved[list], addedFirst[list]))) {
      for (const m of moving[list]) if (!sameJson(m.value, own[m.index])) merged[list].push(m);
    } else {
      added[list] = addedIfMoved[list];
      relocated[list].push(...indexes);
    }
  }
  const placedVolumes = placeVolumes(spec.volumes ?? [], rendered.volumes, addedFirst.volumes, previous?.volumes);
  if ('problem' in placedVolumes) return placedVolumes;
  added.volumes = placedVolumes.added;
  merged.volumes = placedVolumes.merged;
  const ascending = (a: number, b: number): number => a - b;
  return {
    added, merged,
    relocated: { containers: relocated.containers.sort(ascending), initContainers: relocated.initContainers.sort(ascending), volumes: placedVolumes.relocated },
  };
}

/**
 * The rendered volumes against the pod's: merged by name (the pod's values win; one an
 * earlier injection wrote is refreshed), the others added. Added first (the istio profile),
 * they take the order of Istio's strategic merge, which interleaves them with the pod's own
 * when the pod has some already (injected before): then all the pod's volumes move.
 */
function placeVolumes(own: readonly Volume[], rendered: readonly Volume[], first: boolean, previous: ReadonlySet<string> | undefined):
  { added: Volume[]; merged: MergedItem<Volume>[]; relocated: number[] } | { problem: string } {
  const podAt = indexByName(own);
  const added: Volume[] = [];
  const merged: MergedItem<Volume>[] = [];
  const values: Volume[] = [];
  for (const v of rendered) {
    const at = podAt.get(v.name);
    let value = v;
    if (at === undefined) added.push(v);
    else {
      const result = previous?.has(v.name) ? { value: refreshVolume(own[at], v) } : mergeVolume(own[at], v);
      if ('problem' in result) return result;
      value = result.value;
      if (!sameJson(value, own[at])) merged.push({ index: at, value });
    }
    values.push(value);
  }
  if (!first || added.length === values.length) return { added, merged, relocated: [] };
  const ordered = strategicList(own, values, 'name');
  const inPlace = [...added, ...own];
  if (ordered.every((v, i) => v.name === inPlace[i]?.name)) return { added, merged, relocated: [] };
  return { added: ordered, merged: [], relocated: own.map((_, i) => i) };
}
