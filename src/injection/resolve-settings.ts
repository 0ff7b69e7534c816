// Reads a pod's (and its namespace's) per-pod settings (INTERFACE.md §3; the opt-in
// intent, §2, is intent.ts), validates every value and resolves the effective settings. Pure; called per request,
// so it only reads the given maps, allocates what it returns, and parses the config's
// defaults once per Snapshot.
//
// The `settings` object templates see (`settings.<name>`), always with every key:
//
//   templates                        string[]            templates rendered, in order
//   proxyImage                       string              image reference
//   proxyCPU, proxyMemory            string              quantities as written ("100m", "128Mi")
//   proxyCPULimit, proxyMemoryLimit  string
//   logLevel                         string              trace|debug|info|warning|error|critical|off
//   interceptionMode                 string              REDIRECT|TPROXY|NONE
//   includeInboundPorts              number[] | "*"
//   excludeInboundPorts              number[]            [] when none
//   excludeOutboundPorts             number[]
//   includeOutboundIPRanges          string[] | "*"      CIDRs as written
//   excludeOutboundIPRanges          string[]
//   nativeSidecar                    boolean             "auto" resolved against the cluster (native-sidecar.ts)
//   holdApplicationUntilProxyStarts  boolean
//   rewriteProbes                    boolean
//   initFirst                        boolean             capture init container before the pod's own
//   csv                              { includeInboundPorts, excludeInboundPorts, excludeOutboundPorts,
//                                      includeOutboundIPRanges, excludeOutboundIPRanges }: the same
//                                    five lists comma-joined for istio-iptables ("*" stays "*", none is "")
//
// The shape is the same whatever the source (pod, namespace or config). When `denial` is
// set, an invalid value is treated as absent (the next source supplies the setting), so
// `settings` and `effective` keep their shape; the denial names every invalid value.
//
// Precedence, per setting: pod annotation > namespace annotation > config `values`. At one
// level the native key wins over its Istio twin; Istio keys are read only with
// compat.istio. Every value present is validated, also one that a higher-precedence value
// hides: a bad value is refused wherever it is written, as Istio's injector does.
import { closest } from 'fastest-levenshtein';
import {
  ANNOTATION_PREFIX, isKnownAnnotation, KNOWN_ANNOTATIONS, parseConfigValue, SETTINGS, type ParseContext,
  type SettingSpec,
} from './settings-catalogue.js';
import { deepFreeze } from './deep-freeze.js';
import { resolveNativeSetting, UNKNOWN_CLUSTER, type ClusterInfo } from './native-sidecar.js';
import { isPlainObject, mapOf, own } from './plain-object.js';
import { parseProxyConfigHold } from './proxy-config-parse.js';
import type { EffectiveSetting, NamespaceView, ObjectMeta, SettingSource, Snapshot } from './types.js';
import { quote, type Parsed } from './value-parsers.js';

export interface SettingsResolution {
  /** name -> parsed value, for the template context (shape documented above). */
  settings: Record<string, unknown>;
  /** One per catalog setting, in catalog order, with its source and the exact key. */
  effective: EffectiveSetting[];
  /** Resolved template names, in order. */
  templates: string[];
  warnings: string[];
  /** Present when any value is invalid: one message naming every invalid annotation. */
  denial?: string;
}

// ---------------------------------------------------------------------------------------
// Config defaults, parsed once per Snapshot (snapshots are immutable).

type Default = { ok: true; value: unknown } | { ok: false; problem: string };

const defaultsBySnapshot = new WeakMap<Snapshot, readonly Default[]>();

function configValue(values: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let node: unknown = values;
  for (const segment of path) {
    node = isPlainObject(node) ? own(node, segment) : undefined;
  }
  return node;
}

function parseDefault(spec: SettingSpec, snapshot: Snapshot): Default {
  const where = spec.valuesPath === null ? 'defaultTemplates' : `values.${spec.valuesPath.join('.')}`;
  const raw = spec.valuesPath === null ? snapshot.defaultTemplates : configValue(snapshot.values, spec.valuesPath);
  if ((raw === undefined || raw === null) && spec.fallback !== undefined) return { ok: true, value: spec.fallback };
  if (raw === undefined || raw === null) return { ok: false, problem: `config ${where}: missing value: expected ${spec.expected}` };
  const parsed = parseConfigValue(spec.name, raw, snapshot.templates);
  if (parsed.ok) return { ok: true, value: deepFreeze(parsed.value) };
  return { ok: false, problem: `config ${where}: invalid value ${quote(typeof raw === 'string' ? raw : JSON.stringify(raw))}: expected ${parsed.expected}` };
}

/** The config's default for every setting (catalog order), parsed once per snapshot. */
export function configDefaults(snapshot: Snapshot): readonly Default[] {
  let defaults = defaultsBySnapshot.get(snapshot);
  if (!defaults) {
    defaults = Object.freeze(SETTINGS.map((spec) => parseDefault(spec, snapshot)));
    defaultsBySnapshot.set(snapshot, defaults);
  }
  return defaults;
}

// ---------------------------------------------------------------------------------------
// Reading one level's annotations: one pass over its keys, each looked up in a table built
// at module load (cheaper than probing every catalog key on every request).

/** Where a key's value goes: the setting's index, and whether it is the Istio twin. */
interface Slot {
  index: number;
  istio: boolean;
}

const SLOT_BY_KEY: ReadonlyMap<string, Slot> = new Map(SETTINGS.flatMap((spec, index): Array<[string, Slot]> => [
  [spec.key, { index, istio: false }],
  ...(spec.istio.key === undefined ? [] : [[spec.istio.key, { index, istio: true }] as [string, Slot]]),
]));

const MAX_UNKNOWN_WARNINGS = 20;
const SUGGEST_INPUT_MAX = 100;

interface Level {
  source: Exclude<SettingSource, 'config'>;
  /** How messages name a key at this level. */
  label: string;
  /** Raw values by setting index: native keys, and Istio twins (empty with compat off). */
  native: unknown[];
  istio: unknown[];
}

function readLevel(
  source: Level['source'], label: string, annotations: Readonly<Record<string, unknown>>, compat: boolean, warnings: string[],
): Level {
  const level: Level = { source, label, native: new Array(SETTINGS.length), istio: new Array(SETTINGS.length) };
  let unknown = 0;
  for (const key of Object.keys(annotations)) {
    const slot = SLOT_BY_KEY.get(key);
    if (slot !== undefined) {
      if (!slot.istio) level.native[slot.index] = annotations[key];
      else if (compat) level.istio[slot.index] = annotations[key];
      continue;
    }
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    const suffix = key.slice(ANNOTATION_PREFIX.length);
    if (isKnownAnnotation(suffix)) continue;
    unknown++;
    if (unknown > MAX_UNKNOWN_WARNINGS) continue;
    const nearest = closest(suffix.slice(0, SUGGEST_INPUT_MAX).toLowerCase(), KNOWN_ANNOTATIONS);
    const shown = /^[\x21-\x7e]{1,253}$/.test(key) ? key : quote(key);
    warnings.push(`unknown ${label} ${shown}: did you mean ${ANNOTATION_PREFIX}${nearest}?`);
  }
  if (unknown > MAX_UNKNOWN_WARNINGS) {
    warnings.push(`${unknown - MAX_UNKNOWN_WARNINGS} more unknown ${label}s under ${ANNOTATION_PREFIX} not listed`);
  }
  return level;
}

// ---------------------------------------------------------------------------------------
// Resolution.

function invalid(level: Level, key: string, raw: unknown, expected: string): string {
  return `${level.label} ${key}: invalid value ${quote(raw)}: expected ${expected}`;
}

function parseIstioTwin(spec: SettingSpec, raw: string, context: ParseContext): Parsed<unknown> {
  return spec.istio.kind === 'annotation' ? spec.parseIstio(raw, context) : parseProxyConfigHold(raw);
}

function csv(list: unknown): string {
  if (list === '*') return '*';
  return Array.isArray(list) ? list.join(',') : '';
}

/**
 * Resolves every setting for one pod. `meta` is the pod's metadata (labels and annotations
 * readable); `namespace` its namespace; `snapshot` the config.
 */
export function resolveSettings(
  meta: ObjectMeta | undefined, namespace: NamespaceView, snapshot: Snapshot, cluster: ClusterInfo = UNKNOWN_CLUSTER,
): SettingsResolution {
  const compat = snapshot.compat.istio;
  const warnings: string[] = [];
  const levels: readonly Level[] = [
    readLevel('pod', 'annotation', mapOf(meta?.annotations), compat, warnings),
    readLevel('namespace', 'namespace annotation', mapOf(namespace.annotations), compat, warnings),
  ];

  const problems: string[] = [];
  const defaults = configDefaults(snapshot);
  const context: ParseContext = { templates: snapshot.templates };
  const settings: Record<string, unknown> = {};
  const effective: EffectiveSetting[] = [];

  for (let i = 0; i < SETTINGS.length; i++) {
    const spec = SETTINGS[i];
    let chosen: EffectiveSetting | undefined;
    for (const level of levels) {
      const raw = level.native[i];
      if (raw !== undefined) {
        const parsed = typeof raw === 'string' ? spec.parseNative(raw, context) : undefined;
        if (!parsed?.ok) problems.push(invalid(level, spec.key, raw, parsed ? parsed.expected : 'a string'));
        else chosen ??= { name: spec.name, annotation: spec.annotation, value: parsed.value, source: level.source, key: spec.key };
      }
      const rawTwin = level.istio[i];
      if (rawTwin !== undefined) {
        const parsed = typeof rawTwin === 'string' ? parseIstioTwin(spec, rawTwin, context) : undefined;
        const twinKey = spec.istio.key!; // only twins with a key are read (SLOT_BY_KEY)
        if (!parsed?.ok) problems.push(invalid(level, twinKey, rawTwin, parsed ? parsed.expected : 'a string'));
        // A ProxyConfig without the field is valid and sets nothing.
        else if (parsed.value !== undefined) {
          chosen ??= { name: spec.name, annotation: spec.annotation, value: parsed.value, source: level.source, key: twinKey };
        }
      }
    }
    if (!chosen) {
      const fallback = defaults[i];
      if (fallback.ok) chosen = { name: spec.name, annotation: spec.annotation, value: fallback.value, source: 'config' };
      else {
        problems.push(fallback.problem);
        chosen = { name: spec.name, annotation: spec.annotation, value: undefined, source: 'config' };
      }
    }
    if (spec.name === 'nativeSidecar') chosen = resolveNativeSetting(chosen, cluster, problems);
    settings[spec.name] = chosen.value;
    effective.push(chosen);
  }

  settings.csv = {
    includeInboundPorts: csv(settings.includeInboundPorts),
    excludeInboundPorts: csv(settings.excludeInboundPorts),
    excludeOutboundPorts: csv(settings.excludeOutboundPorts),
    includeOutboundIPRanges: csv(settings.includeOutboundIPRanges),
    excludeOutboundIPRanges: csv(settings.excludeOutboundIPRanges),
  };
  const templates = Array.isArray(settings.templates) ? [...(settings.templates as string[])] : [];
  const resolution: SettingsResolution = { settings, effective, templates, warnings };
  if (problems.length > 0) resolution.denial = problems.join('; ');
  return resolution;
}
