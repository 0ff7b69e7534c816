// Which fields of the injected pod each annotation may change. The injected pod with a
// hostile value is compared with the injected pod with a benign value (fast-json-patch
// `compare`); every path that differs must be one the key is allowed to change.
import type { Container, Pod } from '../../../src/injection/types.js';
import { PROXY_CONFIG_KEY, SETTINGS, type SettingName } from '../../../src/injection/settings-catalogue.js';
import { STATUS_ANNOTATION } from '../../../src/injection/status.js';
import { segmentsOf } from '../../support/json-pointer.js';

export type Segments = readonly string[];

function container(pod: Pod, list: string, index: string): Container | undefined {
  const items = (pod.spec as Record<string, unknown> | undefined)?.[list];
  return Array.isArray(items) ? (items[Number(index)] as Container | undefined) : undefined;
}

/** `segments` is `prefix` or inside it. */
function within(segments: Segments, prefix: readonly string[]): boolean {
  return prefix.every((p, i) => segments[i] === p);
}

/** A field (or below) of the container named `name`, in containers or initContainers. */
function containerField(segments: Segments, pod: Pod, name: string, field: readonly string[]): boolean {
  if (segments[0] !== 'spec' || (segments[1] !== 'containers' && segments[1] !== 'initContainers')) return false;
  return container(pod, segments[1], segments[2])?.name === name && within(segments.slice(3), field);
}

/** The argument that follows `flag` in the container named `name`. */
function argumentAfter(segments: Segments, pod: Pod, name: string, flag: string): boolean {
  if (!containerField(segments, pod, name, ['args']) || segments.length !== 5) return false;
  const args = container(pod, segments[1], segments[2])?.args;
  const index = Number(segments[4]);
  return Array.isArray(args) && index > 0 && args[index - 1] === flag;
}

type Rule = (segments: Segments, pod: Pod) => boolean;

const envoy = (...field: string[]): Rule => (s, pod) => containerField(s, pod, 'envoy', field);
const proxyInitArgument = (flag: string): Rule => (s, pod) => argumentAfter(s, pod, 'proxy-init', flag);
/** Settings that change which containers are added, where, or how they start. */
const structure: Rule = (s) => within(s, ['spec', 'containers']) || within(s, ['spec', 'initContainers'])
  || within(s, ['spec', 'volumes']) || within(s, ['metadata', 'annotations', STATUS_ANNOTATION]);

/** What each setting may change in the injected pod. */
const RULES: Record<SettingName, Rule> = {
  templates: structure,
  proxyImage: envoy('image'),
  proxyCPU: envoy('resources', 'requests', 'cpu'),
  proxyMemory: envoy('resources', 'requests', 'memory'),
  proxyCPULimit: envoy('resources', 'limits', 'cpu'),
  proxyMemoryLimit: envoy('resources', 'limits', 'memory'),
  logLevel: (s, pod) => argumentAfter(s, pod, 'envoy', '--log-level'),
  // REDIRECT/TPROXY/NONE: proxy-init's -m, the proxy's privileges and bootstrap, or no proxy-init at all.
  interceptionMode: structure,
  includeInboundPorts: proxyInitArgument('-b'),
  excludeInboundPorts: proxyInitArgument('-d'),
  excludeOutboundPorts: proxyInitArgument('-o'),
  includeOutboundIPRanges: proxyInitArgument('-i'),
  excludeOutboundIPRanges: proxyInitArgument('-x'),
  nativeSidecar: structure,
  holdApplicationUntilProxyStarts: structure,
  // The app's probes and lifecycle hooks (modified containers, in the status annotation),
  // and the probes Envoy's bootstrap answers.
  rewriteProbes: (s, pod) => ((within(s, ['spec', 'containers']) || within(s, ['spec', 'initContainers']))
    && /^((readiness|liveness|startup)Probe|lifecycle)$/.test(s[3] ?? ''))
    || argumentAfter(s, pod, 'envoy', '--config-yaml') || within(s, ['metadata', 'annotations', STATUS_ANNOTATION]),
  // Moves the capture init container before the pod's own: a structural change.
  initFirst: structure,
};

const SETTING_BY_KEY: ReadonlyMap<string, SettingName> = new Map([
  ...SETTINGS.map((s): [string, SettingName] => [s.key, s.name]),
  ...SETTINGS.flatMap((s): Array<[string, SettingName]> => (s.istio.kind === 'annotation' ? [[s.istio.key, s.name]] : [])),
  [PROXY_CONFIG_KEY, 'holdApplicationUntilProxyStarts'],
]);

/** The setting an annotation key sets, if any. */
export function settingOf(key: string): SettingName | undefined {
  return SETTING_BY_KEY.get(key);
}

/**
 * Whether a difference at `pointer` between the benign and the hostile injected pod is one
 * that `key` may make. `where` says whether the key was set on the pod (its own annotation
 * or label then differs) or on the namespace.
 */
export function changeAllowed(
  key: string, where: 'pod annotation' | 'namespace annotation' | 'pod label', pointer: string, hostile: Pod, benign: Pod,
): boolean {
  const segments = segmentsOf(pointer);
  if (where === 'pod annotation' && segments.length >= 3 && within(segments, ['metadata', 'annotations', key])) return true;
  if (where === 'pod label' && segments.length >= 3 && within(segments, ['metadata', 'labels', key])) return true;
  if (where === 'pod label') {
    // Pod labels are copied, as data, into the proxy's bootstrap (node.metadata.LABELS), the
    // JSON after --config-yaml; the test checks separately that it parses back to the labels.
    return argumentAfter(segments, hostile, 'envoy', '--config-yaml') || argumentAfter(segments, benign, 'envoy', '--config-yaml');
  }
  const setting = settingOf(key);
  if (setting === undefined) return false;
  return RULES[setting](segments, hostile) || RULES[setting](segments, benign);
}
