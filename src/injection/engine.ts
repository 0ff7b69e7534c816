// The one entry point of the injection engine: decide, resolve settings, render, build
// the patch. Pure: callers pass everything in and get values back.
import { applyPlan } from './apply.js';
import { decide } from './decide.js';
import { FragmentError } from './fragment.js';
import { proxyConfigProblem } from './istio/config-defaults.js';
import { prometheusMergeOf } from './istio/prometheus-merge.js';
import { ISTIO_REWRITTEN_ANNOTATIONS } from './istio/go-annotations.js';
import { previousInjection } from './istio/previous-injection.js';
import { previousProbers, withRenderedProbers } from './istio/previous-probers.js';
import { withCanonicalResources, withRenderedUser } from './istio/proxy-placement.js';
import { proxyIds, resetsProxyUser } from './istio/proxy-ids.js';
import { proxyAsRoot, tproxyOverridesUser } from './istio/tproxy-root.js';
import { meshConflict } from './mesh-conflicts.js';
import { AUTO_IMAGE, overrideFields, sameJson } from './merge.js';
import type { ClusterInfo } from './native-sidecar.js';
import { buildPatch } from './patch.js';
import { placeFragment, type InjectionPlan, type MergedItem } from './plan.js';
import { rewriteAppProbes, templateAppProbers, withoutContainers, type ProbeRewrite, type ProbeRewriter } from './probe-hook.js';
import { podShapeProblem, readableMetadata } from './pod-shape.js';
import { renderTemplatesCached, templateContext } from './render.js';
import { resolveSettings } from './resolve-settings.js';
import { keysOfSetting, SETTING_BY_NAME } from './settings-catalogue.js';
import { parseGoBool, parseNativeBool } from './value-parsers.js';
import { DEFAULT_CONTAINER_ANNOTATION, injectionStatus, STATUS_ANNOTATION } from './status.js';
import type {
  Container, Decision, EffectiveSetting, Fragment, NamespaceView, PatchOperation, Pod, RequestInfo, Snapshot, StringMap,
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
  /** RFC 6902 operations against the pod as given (`add`; `replace` where a merge changes a value; `remove` of a
   * container declaration that moves to initContainers); empty unless injected. */
  patch: PatchOperation[];
}

function skipped(decision: Decision, warnings: string[]): InjectionOutcome {
  return { decision, warnings, settings: [], templates: [], patch: [] };
}

function denied(decision: Decision, warnings: string[], denial: string, settings: EffectiveSetting[] = [], templates: string[] = []): InjectionOutcome {
  return { decision, warnings, denial, settings, templates, patch: [] };
}

/** What the engine needs from its environment besides the pod and the config. */
export interface EngineEnvironment {
  /** The cluster's versions (serve: the apiserver and nodes; offline: --kubernetes-version). Unknown by default. */
  cluster?: ClusterInfo;
  /** Probe rewriting (probe-hook.ts); null turns it off. Defaults to the built-in rewriter. */
  probeRewriter?: ProbeRewriter | null;
}

/** The port the kubelet's rewritten probes reach: the proxy's status listener. */
function statusPort(values: Readonly<Record<string, unknown>>): number {
  const ports = (values.proxy as { ports?: { status?: unknown; readiness?: unknown } } | undefined)?.ports;
  const port = ports?.status ?? ports?.readiness;
  return typeof port === 'number' ? port : 15021;
}

/**
 * The probes of the pod's `containers` (its containers or init containers) as the rewriter
 * replaces them: merged entries, each winning over the pod's own.
 */
function withRewrittenProbes(containers: Container[], merged: MergedItem<Container>[], rewrite: ProbeRewrite): MergedItem<Container>[] {
  const out = [...merged];
  // Looked up in maps built once (the first of a name, as a search would find): searching
  // per rewritten container made a pod of thousands of them quadratic (attack 8).
  const indexByName = new Map<string, number>();
  containers.forEach((c, i) => { if (!indexByName.has(c.name)) indexByName.set(c.name, i); });
  const positionByIndex = new Map<number, number>();
  out.forEach((m, at) => { if (!positionByIndex.has(m.index)) positionByIndex.set(m.index, at); });
  for (const fields of rewrite.containers) {
    const index = indexByName.get(fields.name);
    if (index === undefined) continue;
    const at = positionByIndex.get(index);
    const base = at === undefined ? containers[index] : out[at].value;
    const value = overrideFields(base, { ...fields });
    if (at !== undefined) out[at] = { index, value };
    else if (!sameJson(value, base)) {
      positionByIndex.set(index, out.length);
      out.push({ index, value });
    }
  }
  return out.sort((a, b) => a.index - b.index);
}

/** The containers the templates inject (they name their image), as opposed to edits of the app's (placeFragment). */
function injectedNames(fragment: Fragment): Set<string> {
  const names = new Set<string>();
  for (const c of [...fragment.initContainers, ...fragment.containers]) if (typeof c.image === 'string') names.add(c.name);
  return names;
}

const REWRITE_KEYS = keysOfSetting(SETTING_BY_NAME.get('rewriteProbes')!);

/**
 * Whether the rendered annotations turn probe rewriting off (Istio's gRPC templates render
 * `sidecar.istio.io/rewriteAppHTTPProbers: "false"`, which Istio reads after rendering); the
 * pod's own annotation wins, as it does for every annotation.
 */
function templateTurnsOffRewriting(rendered: Fragment, podAnnotations: StringMap): boolean {
  if (REWRITE_KEYS.some((key) => Object.hasOwn(podAnnotations, key))) return false;
  return REWRITE_KEYS.some((key) => {
    const value = rendered.annotations[key];
    if (value === undefined) return false;
    const parsed = key === REWRITE_KEYS[0] ? parseNativeBool(value) : parseGoBool(value);
    return parsed.ok && parsed.value === false;
  });
}

/** Runs the whole pipeline for one pod (or pod template). Never throws for bad pod input. */
export function evaluatePod(
  pod: Pod, namespace: NamespaceView, snapshot: Snapshot, request: RequestInfo, env: EngineEnvironment = {},
): InjectionOutcome {
  const { warnings, ...decision } = decide(pod, namespace, snapshot, request);
  if (!decision.inject) return skipped(decision, warnings);

  const shape = podShapeProblem(pod);
  if (shape) return denied(decision, warnings, `cannot inject: ${shape}`);

  const meta = readableMetadata(pod);
  const resolution = resolveSettings(meta, namespace, snapshot, env.cluster);
  warnings.push(...resolution.warnings);
  if (resolution.denial) return denied(decision, warnings, resolution.denial, resolution.effective, resolution.templates);

  const { settings } = resolution;
  const rewriter = env.probeRewriter === undefined ? rewriteAppProbes : env.probeRewriter;
  // A pod injected before keeps the probers of the probes rewritten then (istio/previous-probers.ts).
  const previous = snapshot.meshConfig ? previousProbers(pod) : undefined;
  let probes = settings.rewriteProbes === true && rewriter ? rewriter(pod.spec!, {
    statusPort: statusPort(snapshot.values),
    excludedInboundPorts: Array.isArray(settings.excludeInboundPorts) ? settings.excludeInboundPorts as number[] : [],
    ...(previous ? { previousProbers: previous } : {}),
  }) : undefined;
  // The istio profile parses proxy.istio.io/config as a whole ProxyConfig: refused when invalid, as Istio does
  // (checked here, not in the render, which the render cache may skip).
  const proxyConfig = snapshot.meshConfig && proxyConfigProblem(pod, snapshot.meshConfig);
  if (proxyConfig) return denied(decision, warnings, `cannot inject: ${proxyConfig}`, resolution.effective, resolution.templates);
  // And Istio's metrics merge, which takes the pod's scrape annotations away (the template adds the agent's).
  const metricsMerge = snapshot.meshConfig && prometheusMergeOf(meta.annotations ?? {}, snapshot.meshConfig);
  if (metricsMerge && metricsMerge.problem) return denied(decision, warnings, `cannot inject: ${metricsMerge.problem}`, resolution.effective, resolution.templates);
  let rendered: Fragment;
  const render = (): Fragment => renderTemplatesCached(resolution.templates, snapshot,
    templateContext(pod, namespace, settings, snapshot, { cluster: env.cluster, appProbers: templateAppProbers(probes), proxyEnv: request.proxyEnv }));
  try {
    rendered = render();
    // The pod's declaration of a container the templates inject (an override of the proxy)
    // is not the app's: its probes stay its own (Istio skips its proxy by name). Known only
    // once rendered, so such a pod renders again without them (overrides with probes only).
    // Likewise a template that turns probe rewriting off for its pods (Istio's gRPC templates).
    if (probes && templateTurnsOffRewriting(rendered, meta.annotations ?? {})) {
      probes = undefined;
      rendered = render();
    } else if (probes) {
      const overrides = injectedNames(rendered);
      if (probes.containers.some((c) => overrides.has(c.name))) {
        probes = withoutContainers(probes, overrides);
        rendered = render();
      }
    }
  } catch (err) {
    if (!(err instanceof FragmentError)) throw err;
    return denied(decision, warnings, `cannot inject: ${err.message}`, resolution.effective, resolution.templates);
  }
  // On OpenShift the istio profile's proxy runs as the namespace's UID, not the configured one.
  const platformIds = snapshot.meshConfig && proxyIds(snapshot.values, namespace.annotations);
  const conflict = meshConflict(pod, rendered, platformIds ? platformIds.uid : (snapshot.values.proxy as { uid?: unknown } | undefined)?.uid);
  if (conflict) {
    const refused: Decision = { inject: false, reason: conflict.reason };
    if (conflict.reason === 'foreign-proxy' && snapshot.foreignProxy === 'skip') return skipped(refused, [...warnings, `not injected: ${conflict.message}`]);
    return denied(refused, warnings, `cannot inject: ${conflict.message}`, resolution.effective, resolution.templates);
  }
  const native = settings.nativeSidecar === true;
  const addedFirst = {
    containers: settings.holdApplicationUntilProxyStarts === true && !native,
    // As Istio: with native sidecars the capture and the proxy come first, so the app's init
    // containers run inside the mesh; else the capture comes after them, so their traffic is
    // not redirected to a proxy that is not running yet (unless init-first says so).
    initContainers: native || settings.initFirst === true,
    // The istio profile: Istio's strategic merge puts what it renders first.
    volumes: snapshot.meshConfig !== undefined,
  };
  const placed = placeFragment(pod, rendered, addedFirst, snapshot.meshConfig ? previousInjection(pod) : undefined);
  if ('problem' in placed) return denied(decision, warnings, `cannot inject: ${placed.problem}`, resolution.effective, resolution.templates);
  // A declared container the templates inject (or one with `image: auto`) is the injector's (an override), never the app.
  const injected = injectedNames(rendered);
  let placement = snapshot.meshConfig && tproxyOverridesUser(pod, rendered, snapshot.meshConfig) ? proxyAsRoot(placed) : placed;
  const declared = [...pod.spec!.containers, ...(pod.spec!.initContainers ?? [])];
  if (snapshot.meshConfig && resetsProxyUser(snapshot.values, declared)) placement = withRenderedUser(placement, rendered);
  if (previous && probes) placement = withRenderedProbers(placement, rendered);
  // Only what the pod declared can be written otherwise: the rendered values are canonical already.
  const overridden = declared.filter((c) => injected.has(c.name));
  if (snapshot.meshConfig && overridden.length > 0) placement = withCanonicalResources(placement, new Set(overridden.map((c) => c.name)));
  const { relocated } = placement;
  const merged = probes ? {
    ...placement.merged,
    containers: withRewrittenProbes(pod.spec!.containers, placement.merged.containers, probes).filter((m) => !relocated.containers.includes(m.index)),
    initContainers: withRewrittenProbes(pod.spec!.initContainers ?? [], placement.merged.initContainers, probes)
      .filter((m) => !relocated.initContainers.includes(m.index)),
  } : placement.merged;
  const added = { ...rendered, ...placement.added };

  // Volumes the pod has that only move (placeVolumes) are not the injection's. A set: a
  // search per volume was quadratic in a pod's volumes and its user volumes (attack 9).
  const renderedVolumes = placement.relocated.volumes.length === 0 ? undefined : new Set(rendered.volumes.map((v) => v.name));
  const volumes = renderedVolumes ? added.volumes.filter((v) => renderedVolumes.has(v.name)) : added.volumes;
  const status = injectionStatus(resolution.templates, { fragment: { ...added, volumes }, merged }, snapshot.revision);
  // The injector's own annotations last, so neither a template nor the config can forge them.
  const annotations: Record<string, string> = {
    ...rendered.annotations, ...snapshot.injectedAnnotations, [STATUS_ANNOTATION]: JSON.stringify(status),
  };
  const firstApp = pod.spec!.containers.find((c, i) => c.image !== AUTO_IMAGE && !injected.has(c.name) && !relocated.containers.includes(i))?.name;
  // The istio profile's templates write it themselves, or not at all (Istio's grpc-simple).
  if (firstApp !== undefined && snapshot.meshConfig === undefined) annotations[DEFAULT_CONTAINER_ANNOTATION] = firstApp;
  const plan: InjectionPlan = {
    fragment: { ...added, annotations },
    merged,
    relocated,
    containersFirst: addedFirst.containers,
    initContainersFirst: addedFirst.initContainers,
    volumesAndPullSecretsFirst: addedFirst.volumes,
    removedAnnotations: [
      ...(metricsMerge ? metricsMerge.replaced : []),
      // Injected again, Istio's status says what this injection added; and Istio CNI adds its network to the pod's.
      ...(snapshot.meshConfig ? ISTIO_REWRITTEN_ANNOTATIONS.filter((key) => rendered.annotations[key] !== undefined) : []),
    ],
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
