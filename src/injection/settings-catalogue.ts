// The catalog of per-pod settings (INTERFACE.md §3): for each, its name in the template
// context, its native annotation, its Istio twin, how its value is parsed and where the
// config keeps its default. Built once at module load; lookups are by Map.
import { parseNativeBoolOrAuto } from './native-sidecar.js';
import { ANNOTATION_PREFIX } from './status.js';
import { parseCidrs, parseCidrsOrStar } from './cidr-parse.js';
import {
  bad, ok, parseGoBool, parseImage, parseInterceptionMode, parseIstioPorts, parseIstioPortsOrStar, parseLogLevel,
  parseNativeBool, parsePorts, parsePortsOrStar, parseTemplateNames, type Parsed,
} from './value-parsers.js';
import { parseQuantity } from './quantity.js';

export { ANNOTATION_PREFIX };

/** Pod label or annotation; the label wins. */
export const INJECT_KEY = `${ANNOTATION_PREFIX}inject`;
export const ISTIO_INJECT_KEY = 'sidecar.istio.io/inject';
/** Namespace labels: `enabled` | `disabled`. */
export const NAMESPACE_INJECTION_LABEL = 'sidecar-injection';
export const ISTIO_NAMESPACE_INJECTION_LABEL = 'istio-injection';
/** Istio's ProxyConfig annotation; only its holdApplicationUntilProxyStarts field is read. */
export const PROXY_CONFIG_KEY = 'proxy.istio.io/config';

export type SettingName =
  | 'templates' | 'proxyImage' | 'proxyCPU' | 'proxyMemory' | 'proxyCPULimit' | 'proxyMemoryLimit'
  | 'logLevel' | 'interceptionMode' | 'includeInboundPorts' | 'excludeInboundPorts' | 'excludeOutboundPorts'
  | 'includeOutboundIPRanges' | 'excludeOutboundIPRanges' | 'nativeSidecar' | 'holdApplicationUntilProxyStarts'
  | 'rewriteProbes' | 'initFirst';

/** What a parser may need besides the text: the config's templates (for `templates`). */
export interface ParseContext {
  templates: ReadonlyMap<string, unknown>;
}

export type SettingParser = (raw: string, context: ParseContext) => Parsed<unknown>;

export type IstioTwin =
  | { kind: 'annotation'; key: string }
  /** A field inside the `proxy.istio.io/config` annotation. */
  | { kind: 'proxy-config-field'; key: typeof PROXY_CONFIG_KEY; field: 'holdApplicationUntilProxyStarts' }
  /** Istio has no such key (init-first: Kuma's and Vault's idea). */
  | { kind: 'none'; key: undefined };

/** How a config default may be written besides a string (YAML gives numbers, lists, booleans). */
type ConfigShape = 'string' | 'quantity' | 'list' | 'boolean' | 'boolean-or-auto' | 'templates';

export interface SettingSpec {
  /** Name in the template context: `settings.<name>`. */
  readonly name: SettingName;
  /** Native annotation key without the prefix, e.g. "proxy-cpu". */
  readonly annotation: string;
  /** Full native key, e.g. "sidecar-injector.io/proxy-cpu". */
  readonly key: string;
  readonly istio: IstioTwin;
  /** Path in snapshot.values of the config default; null for `templates` (snapshot.defaultTemplates). */
  readonly valuesPath: readonly string[] | null;
  readonly parseNative: SettingParser;
  /** For annotation twins; the proxy-config twin is parsed as a whole (parseProxyConfigHold). */
  readonly parseIstio: SettingParser;
  readonly configShape: ConfigShape;
  /** What a config default may be, for messages about a value of the wrong type. */
  readonly expected: string;
  /** The default when config.yaml does not set one (settings added later: older configs keep working). */
  readonly fallback?: unknown;
}

const templates: SettingParser = (raw, context) => parseTemplateNames(raw, context.templates);
const cpu: SettingParser = (raw) => parseQuantity(raw, '100m or 0.5');
const memory: SettingParser = (raw) => parseQuantity(raw, '128Mi or 1Gi');

function spec(
  name: SettingName, annotation: string, istio: IstioTwin, valuesPath: string | null,
  parseNative: SettingParser, parseIstio: SettingParser, configShape: ConfigShape, fallback?: unknown,
): SettingSpec {
  return Object.freeze({
    name, annotation, key: ANNOTATION_PREFIX + annotation, istio,
    valuesPath: valuesPath === null ? null : Object.freeze(valuesPath.split('.')),
    parseNative, parseIstio, configShape, expected: EXPECTED_BY_SHAPE[configShape](annotation),
    ...(fallback !== undefined ? { fallback } : {}),
  });
}

const EXPECTED_BY_SHAPE: Record<ConfigShape, (annotation: string) => string> = {
  string: () => 'a string',
  quantity: () => 'a Kubernetes quantity (a string such as 100m or a number)',
  list: (annotation) => `${annotation.includes('ports') ? 'ports' : 'CIDRs'} as a comma-separated string or a list`,
  boolean: () => 'true or false',
  'boolean-or-auto': () => 'true, false or auto',
  templates: () => 'a non-empty list of template names',
};

const twin = (key: string): IstioTwin => ({ kind: 'annotation', key });

/** Every setting, in the order `explain` and the resolution list them. */
export const SETTINGS: readonly SettingSpec[] = Object.freeze([
  spec('templates', 'templates', twin('inject.istio.io/templates'), null, templates, templates, 'templates'),
  spec('proxyImage', 'proxy-image', twin('sidecar.istio.io/proxyImage'), 'proxy.image', parseImage, parseImage, 'string'),
  spec('proxyCPU', 'proxy-cpu', twin('sidecar.istio.io/proxyCPU'), 'proxy.resources.requests.cpu', cpu, cpu, 'quantity'),
  spec('proxyMemory', 'proxy-memory', twin('sidecar.istio.io/proxyMemory'), 'proxy.resources.requests.memory', memory, memory, 'quantity'),
  spec('proxyCPULimit', 'proxy-cpu-limit', twin('sidecar.istio.io/proxyCPULimit'), 'proxy.resources.limits.cpu', cpu, cpu, 'quantity'),
  spec('proxyMemoryLimit', 'proxy-memory-limit', twin('sidecar.istio.io/proxyMemoryLimit'), 'proxy.resources.limits.memory', memory, memory, 'quantity'),
  spec('logLevel', 'log-level', twin('sidecar.istio.io/logLevel'), 'proxy.logLevel', parseLogLevel, parseLogLevel, 'string'),
  spec('interceptionMode', 'interception-mode', twin('sidecar.istio.io/interceptionMode'), 'capture.interceptionMode',
    parseInterceptionMode, parseInterceptionMode, 'string'),
  spec('includeInboundPorts', 'include-inbound-ports', twin('traffic.sidecar.istio.io/includeInboundPorts'),
    'capture.includeInboundPorts', parsePortsOrStar, parseIstioPortsOrStar, 'list'),
  spec('excludeInboundPorts', 'exclude-inbound-ports', twin('traffic.sidecar.istio.io/excludeInboundPorts'),
    'capture.excludeInboundPorts', parsePorts, parseIstioPorts, 'list'),
  spec('excludeOutboundPorts', 'exclude-outbound-ports', twin('traffic.sidecar.istio.io/excludeOutboundPorts'),
    'capture.excludeOutboundPorts', parsePorts, parseIstioPorts, 'list'),
  spec('includeOutboundIPRanges', 'include-outbound-ip-ranges', twin('traffic.sidecar.istio.io/includeOutboundIPRanges'),
    'capture.includeOutboundIPRanges', parseCidrsOrStar, parseCidrsOrStar, 'list'),
  spec('excludeOutboundIPRanges', 'exclude-outbound-ip-ranges', twin('traffic.sidecar.istio.io/excludeOutboundIPRanges'),
    'capture.excludeOutboundIPRanges', parseCidrs, parseCidrs, 'list'),
  // "auto" is resolved against the cluster by native-sidecar.ts: templates see a boolean.
  spec('nativeSidecar', 'native-sidecar', twin('sidecar.istio.io/nativeSidecar'), 'proxy.nativeSidecar',
    parseNativeBoolOrAuto, parseGoBool, 'boolean-or-auto'),
  spec('holdApplicationUntilProxyStarts', 'hold-application-until-proxy-starts',
    { kind: 'proxy-config-field', key: PROXY_CONFIG_KEY, field: 'holdApplicationUntilProxyStarts' },
    'proxy.holdApplicationUntilProxyStarts', parseNativeBool, parseNativeBool, 'boolean'),
  spec('rewriteProbes', 'rewrite-probes', twin('sidecar.istio.io/rewriteAppHTTPProbers'), 'proxy.rewriteProbes',
    parseNativeBool, parseGoBool, 'boolean'),
  spec('initFirst', 'init-first', { kind: 'none', key: undefined }, 'capture.initFirst', parseNativeBool, parseNativeBool, 'boolean', false),
]);

/** The annotation keys of a setting: its native key, and its Istio twin when it has one. */
export function keysOfSetting(spec: SettingSpec): string[] {
  return spec.istio.key === undefined ? [spec.key] : [spec.key, spec.istio.key];
}

export const SETTING_BY_NAME: ReadonlyMap<string, SettingSpec> = new Map(SETTINGS.map((s) => [s.name, s]));

/** Keys under the prefix that are known but are not settings. */
export const NON_SETTING_ANNOTATIONS: readonly string[] = Object.freeze(['inject', 'status']);

/** Every known key under the prefix, without it: for "did you mean" suggestions. */
export const KNOWN_ANNOTATIONS: readonly string[] = Object.freeze([
  ...SETTINGS.map((s) => s.annotation), ...NON_SETTING_ANNOTATIONS,
]);
const KNOWN_ANNOTATION_SET: ReadonlySet<string> = new Set(KNOWN_ANNOTATIONS);

/** Whether `suffix` (the part after the prefix) names a known key. */
export function isKnownAnnotation(suffix: string): boolean {
  return KNOWN_ANNOTATION_SET.has(suffix);
}

const NO_TEMPLATES: ParseContext = { templates: new Map() };

function unknownSetting(name: string): never {
  throw new RangeError(`unknown setting "${name}"; known: ${SETTINGS.map((s) => s.name).join(', ')}`);
}

/**
 * Parses an annotation value for setting `name` with the native key's rules (or the Istio
 * twin's with `istio: true`). `templates` is needed to check template names.
 */
export function parseSettingValue(
  name: string, raw: string, options: { istio?: boolean; templates?: ReadonlyMap<string, unknown> } = {},
): Parsed<unknown> {
  const s = SETTING_BY_NAME.get(name) ?? unknownSetting(name);
  const context = options.templates ? { templates: options.templates } : NO_TEMPLATES;
  return options.istio ? s.parseIstio(raw, context) : s.parseNative(raw, context);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}

/**
 * Parses a config default (from `values`, or defaultTemplates for `templates`) into the same
 * shape an annotation gives. YAML may hand a number for a quantity, a boolean for a flag,
 * or a list (of ports or CIDRs) instead of a comma-separated string.
 */
export function parseConfigValue(name: string, raw: unknown, templates: ReadonlyMap<string, unknown> = NO_TEMPLATES.templates): Parsed<unknown> {
  const s = SETTING_BY_NAME.get(name) ?? unknownSetting(name);
  const context = { templates };
  if (typeof raw === 'string') return s.parseNative(raw, context);
  switch (s.configShape) {
    case 'boolean':
    case 'boolean-or-auto':
      if (typeof raw === 'boolean') return ok(raw);
      break;
    case 'quantity':
      if (typeof raw === 'number' && Number.isFinite(raw)) return s.parseNative(String(raw), context);
      break;
    case 'list':
      if (typeof raw === 'number') return s.parseNative(String(raw), context);
      if (Array.isArray(raw) && raw.every((v) => typeof v === 'string' || typeof v === 'number')) {
        return s.parseNative(raw.join(','), context);
      }
      break;
    case 'templates':
      if (Array.isArray(raw) && raw.length > 0 && raw.every((v) => typeof v === 'string')) return s.parseNative(raw.join(','), context);
      break;
    default:
      break;
  }
  return bad(`${s.expected} (got ${kindOf(raw)})`);
}
