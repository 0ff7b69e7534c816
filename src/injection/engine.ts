// The one entry point of the injection engine: decide, resolve settings, render, build
// the patch. Pure: callers pass everything in and get values back.
import { applyPlan } from './apply.js';
import { decide } from './decide.js';
import { FragmentError } from './fragment.js';
import { meshConflict } from './mesh-conflicts.js';
import { buildPatch } from './patch.js';
import type { InjectionPlan } from './plan.js';
import { podShapeProblem, readableMetadata } from './pod-shape.js';
import { renderTemplatesCached, templateContext } from './render.js';
import { resolveSettings } from './settings.js';
import { DEFAULT_CONTAINER_ANNOTATION, injectionStatus, STATUS_ANNOTATION } from './status.js';
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
  /** Where the additions go; absent unless injected. */
  plan?: InjectionPlan;
  /** RFC 6902 `add` operations against the pod as given; empty unless injected. */
  patch: PatchOperation[];
}

function skipped(decision: Decision, warnings: string[]): InjectionOutcome {
  return { decision, warnings, settings: [], templates: [], patch: [] };
}

function denied(decision: Decision, warnings: string[], denial: string, settings: EffectiveSetting[] = [], templates: string[] = []): InjectionOutcome {
  return { decision, warnings, denial, settings, templates, patch: [] };
}

/** A name the fragment adds that the pod already uses: adding it would make an invalid pod. */
function nameClash(pod: Pod, fragment: Fragment): string | undefined {
  const spec = pod.spec!;
  const containerNames = new Set([...spec.containers, ...(spec.initContainers ?? [])].map((c) => c.name));
  const added = new Set<string>();
  for (const c of [...fragment.initContainers, ...fragment.containers]) {
    if (containerNames.has(c.name)) return `the pod already has a container named "${c.name}", which the injector adds`;
    if (added.has(c.name)) return `the templates add two containers named "${c.name}"`;
    added.add(c.name);
  }
  const volumeNames = new Set((spec.volumes ?? []).map((v) => v.name));
  added.clear();
  for (const v of fragment.volumes) {
    if (volumeNames.has(v.name)) return `the pod already has a volume named "${v.name}", which the injector adds`;
    if (added.has(v.name)) return `the templates add two volumes named "${v.name}"`;
    added.add(v.name);
  }
  return undefined;
}

/** Runs the whole pipeline for one pod (or pod template). Never throws for bad pod input. */
export function evaluatePod(pod: Pod, namespace: NamespaceView, snapshot: Snapshot, request: RequestInfo): InjectionOutcome {
  const { warnings, ...decision } = decide(pod, namespace, snapshot, request);
  if (!decision.inject) return skipped(decision, warnings);

  const shape = podShapeProblem(pod);
  if (shape) return denied(decision, warnings, `cannot inject: ${shape}`);

  const meta = readableMetadata(pod);
  const resolution = resolveSettings(meta, namespace, snapshot);
  warnings.push(...resolution.warnings);
  if (resolution.denial) return denied(decision, warnings, resolution.denial, resolution.effective, resolution.templates);

  let rendered: Fragment;
  try {
    rendered = renderTemplatesCached(resolution.templates, snapshot, templateContext(pod, namespace, resolution.settings, snapshot));
  } catch (err) {
    if (!(err instanceof FragmentError)) throw err;
    return denied(decision, warnings, `cannot inject: ${err.message}`, resolution.effective, resolution.templates);
  }
  const conflict = meshConflict(pod, rendered, (snapshot.values.proxy as { uid?: unknown } | undefined)?.uid);
  if (conflict) {
    const refused: Decision = { inject: false, reason: conflict.reason };
    if (conflict.reason === 'foreign-proxy' && snapshot.foreignProxy === 'skip') return skipped(refused, [...warnings, `not injected: ${conflict.message}`]);
    return denied(refused, warnings, `cannot inject: ${conflict.message}`, resolution.effective, resolution.templates);
  }
  const clash = nameClash(pod, rendered);
  if (clash) return denied(decision, warnings, `cannot inject: ${clash}`, resolution.effective, resolution.templates);

  const status = injectionStatus(resolution.templates, rendered, snapshot.revision);
  // The injector's own annotations last, so neither a template nor the config can forge them.
  const annotations: Record<string, string> = {
    ...rendered.annotations, ...snapshot.injectedAnnotations, [STATUS_ANNOTATION]: JSON.stringify(status),
  };
  const firstApp = pod.spec!.containers[0]?.name;
  if (firstApp !== undefined) annotations[DEFAULT_CONTAINER_ANNOTATION] = firstApp;
  const plan: InjectionPlan = {
    fragment: { ...rendered, annotations },
    containersFirst: resolution.settings.holdApplicationUntilProxyStarts === true && resolution.settings.nativeSidecar !== true,
  };
  return {
    decision, warnings, settings: resolution.effective, templates: resolution.templates, plan,
    patch: buildPatch(pod, plan),
  };
}

/** The injected pod: a new object (the input is not modified). Same result as applying `patch`. */
export function applyOutcome(pod: Pod, outcome: InjectionOutcome): Pod {
  return outcome.plan ? applyPlan(pod, outcome.plan) : pod;
}
