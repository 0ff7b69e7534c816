// Istio's pod annotations that sidecar-injector reads, and warnings for those it does not:
// a pod written for Istio otherwise loses a setting in silence. Only with Istio
// compatibility on (with it off, no Istio key is read and none is expected to be).
import { parseDocument, isMap, isScalar } from 'yaml';
import { ISTIO_INJECT_KEY, PROXY_CONFIG_KEY, SETTINGS } from './settings-catalogue.js';
import { PROXY_CONFIG_MAX_CHARS, PROXY_CONFIG_SHAPE } from './proxy-config-parse.js';
import { quote } from './value-parsers.js';
import { yamlShapeProblem } from './yaml-shape.js';
import type { StringMap } from './types.js';

/** Prefixes of Istio's per-pod keys (annotations on the pod and its namespace's defaults). */
export const ISTIO_KEY_PREFIXES: readonly string[] = Object.freeze(['sidecar.istio.io/', 'traffic.sidecar.istio.io/']);

/** Istio keys under those prefixes that we read: the settings' twins, inject, and the status. */
export const IMPLEMENTED_ISTIO_KEYS: ReadonlySet<string> = new Set([
  ISTIO_INJECT_KEY,
  // Istio's status annotation: written by Istio's injector; ours is our own key.
  'sidecar.istio.io/status',
  ...SETTINGS.flatMap((s) => (s.istio.kind === 'annotation' ? [s.istio.key] : [])),
]);

/**
 * Istio keys known not to be implemented, for the README. Any other key under the
 * prefixes is reported the same way.
 */
export const UNIMPLEMENTED_ISTIO_KEYS: readonly string[] = Object.freeze([
  'sidecar.istio.io/agentLogLevel', 'sidecar.istio.io/bootstrapOverride', 'sidecar.istio.io/componentLogLevel',
  'sidecar.istio.io/enableCoreDump', 'sidecar.istio.io/proxyImageType', 'sidecar.istio.io/statsHistogramBuckets',
  'sidecar.istio.io/statsInclusionPrefixes', 'sidecar.istio.io/statsInclusionRegexps', 'sidecar.istio.io/statsInclusionSuffixes',
  'sidecar.istio.io/statusPort', 'sidecar.istio.io/userVolume', 'sidecar.istio.io/userVolumeMount',
  'traffic.sidecar.istio.io/excludeInterfaces', 'traffic.sidecar.istio.io/includeOutboundPorts',
  'traffic.sidecar.istio.io/kubevirtInterfaces',
]);

/** The one `proxy.istio.io/config` field we read; see validate.ts parseProxyConfigHold. */
export const READ_PROXY_CONFIG_FIELDS: readonly string[] = Object.freeze(['holdApplicationUntilProxyStarts']);

/** At most this many keys are named in one warning. */
const MAX_NAMED = 20;

function isIstioKey(key: string): boolean {
  return ISTIO_KEY_PREFIXES.some((prefix) => key.startsWith(prefix));
}

function named(keys: string[]): string {
  const shown = keys.slice(0, MAX_NAMED).map((k) => quote(k, 100)).join(', ');
  return keys.length > MAX_NAMED ? `${shown} and ${keys.length - MAX_NAMED} more` : shown;
}

/** The top-level field names of a ProxyConfig annotation, or none when it is not a YAML mapping. */
function proxyConfigFields(raw: string): string[] {
  // Beyond the bounds the settings check refuses the pod: nothing to warn about, and the
  // YAML library never sees such text.
  if (raw.length > PROXY_CONFIG_MAX_CHARS || yamlShapeProblem(raw, PROXY_CONFIG_SHAPE)) return [];
  let doc;
  try {
    doc = parseDocument(raw);
  } catch {
    return [];
  }
  if (doc.errors.length > 0 || !isMap(doc.contents)) return [];
  return doc.contents.items.flatMap((pair) => (isScalar(pair.key) ? [String(pair.key.value)] : []));
}

/**
 * Warnings for the pod's Istio annotations we do not implement, and for the fields of its
 * `proxy.istio.io/config` we ignore. Empty when there are none.
 */
export function istioKeyWarnings(annotations: StringMap | undefined): string[] {
  if (annotations === undefined || annotations === null || typeof annotations !== 'object') return [];
  const warnings: string[] = [];
  const ignored = Object.keys(annotations).filter((k) => isIstioKey(k) && !IMPLEMENTED_ISTIO_KEYS.has(k)).sort();
  if (ignored.length > 0) {
    warnings.push(`annotation${ignored.length > 1 ? 's' : ''} ${named(ignored)}: not implemented by sidecar-injector, ignored`);
  }
  const proxyConfig = Object.hasOwn(annotations, PROXY_CONFIG_KEY) ? annotations[PROXY_CONFIG_KEY] : undefined;
  if (typeof proxyConfig === 'string') {
    const fields = proxyConfigFields(proxyConfig).filter((f) => !READ_PROXY_CONFIG_FIELDS.includes(f)).sort();
    if (fields.length > 0) {
      warnings.push(`annotation ${PROXY_CONFIG_KEY}: field${fields.length > 1 ? 's' : ''} ${named(fields)} ignored; `
        + `only ${READ_PROXY_CONFIG_FIELDS.join(', ')} is read`);
    }
  }
  return warnings;
}
