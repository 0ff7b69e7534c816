// Parses, validates and compiles one configuration version into an immutable Snapshot.
// Everything that can be checked is checked here, once per version, so a request never
// meets a half-valid config: templates are parsed once and trial-rendered with the defaults.
import { createHash } from 'node:crypto';
import { deepFreeze } from '../injection/deep-freeze.js';
import { FragmentError } from '../injection/fragment.js';
import { renderTemplates, templateContext } from '../injection/render.js';
import { compiledTemplate } from '../injection/template-compile.js';
import { resolveSettings } from '../injection/resolve-settings.js';
import type { LabelSelector, Snapshot, StringMap, Template } from '../injection/types.js';
import { checkSizes, ConfigError, parseConfigYaml } from './parse.js';
import { isPlainObject } from '../injection/plain-object.js';

export { ConfigError };

export interface CompileOptions {
  /** The injector's own namespace: always ignored. */
  ownNamespace?: string;
}

export const CONFIG_FILE = 'config.yaml';
export const TEMPLATE_SUFFIX = '.template.yaml';
const TEMPLATE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CONFIG_KEYS = [
  'policy', 'defaultTemplates', 'neverInjectSelector', 'alwaysInjectSelector', 'ignoredNamespaces',
  'injectedAnnotations', 'compat', 'values', 'foreignProxy', 'meshConfig',
] as const;
const DEFAULT_IGNORED = ['kube-system', 'kube-public', 'kube-node-lease'];
const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function stringList(field: string, v: unknown, fallback: string[]): string[] {
  if (v === undefined || v === null) return fallback;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '')) {
    throw new ConfigError('expected a list of non-empty strings', CONFIG_FILE, field);
  }
  return v as string[];
}

function stringMap(field: string, v: unknown): StringMap {
  if (v === undefined || v === null) return {};
  if (!isPlainObject(v) || Object.values(v).some((s) => typeof s !== 'string')) {
    throw new ConfigError('expected a mapping of string keys to string values', CONFIG_FILE, field);
  }
  return v as StringMap;
}

function selectors(field: string, v: unknown): LabelSelector[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError('expected a list of label selectors', CONFIG_FILE, field);
  return v.map((raw, i) => {
    const at = `${field}[${i}]`;
    if (!isPlainObject(raw)) throw new ConfigError('expected a label selector (matchLabels, matchExpressions)', CONFIG_FILE, at);
    for (const key of Object.keys(raw)) {
      if (key !== 'matchLabels' && key !== 'matchExpressions') {
        throw new ConfigError(`unknown field "${key}"; a label selector has matchLabels and matchExpressions`, CONFIG_FILE, at);
      }
    }
    const matchLabels = stringMap(`${at}.matchLabels`, raw.matchLabels);
    const exprs = raw.matchExpressions ?? [];
    if (!Array.isArray(exprs)) throw new ConfigError('expected a list', CONFIG_FILE, `${at}.matchExpressions`);
    const matchExpressions = exprs.map((e: unknown, j) => {
      const eat = `${at}.matchExpressions[${j}]`;
      if (!isPlainObject(e) || typeof e.key !== 'string' || e.key === '') throw new ConfigError('expected {key, operator, values}', CONFIG_FILE, eat);
      if (typeof e.operator !== 'string' || !SELECTOR_OPERATORS.includes(e.operator)) {
        throw new ConfigError(`operator must be one of ${SELECTOR_OPERATORS.join(', ')}`, CONFIG_FILE, `${eat}.operator`);
      }
      const needsValues = e.operator === 'In' || e.operator === 'NotIn';
      const values = e.values === undefined ? [] : stringList(`${eat}.values`, e.values, []);
      if (needsValues && values.length === 0) throw new ConfigError(`${e.operator} needs a non-empty values list`, CONFIG_FILE, `${eat}.values`);
      if (!needsValues && values.length > 0) throw new ConfigError(`${e.operator} takes no values`, CONFIG_FILE, `${eat}.values`);
      return { key: e.key, operator: e.operator as 'In', values };
    });
    return { matchLabels, matchExpressions };
  });
}

/** The content hash of a configuration version: its revision (over `names`, in order). */
export function revisionOf(files: Readonly<Record<string, string>>, names: readonly string[]): string {
  const hash = createHash('sha256');
  for (const name of names) hash.update(name).update('\0').update(files[name]).update('\0');
  return hash.digest('hex').slice(0, 12);
}

function templatesOf(parsed: ParsedConfig): Map<string, Template> {
  const templates = new Map<string, Template>();
  for (const [file, source] of Object.entries(parsed.templates).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const name = file.slice(0, -TEMPLATE_SUFFIX.length);
    templates.set(name, deepFreeze({ name, source: source ?? {} }));
  }
  return templates;
}

/** The files of a version, read as YAML: plain data, so it can cross to another thread. */
export interface ParsedConfig {
  config: unknown;
  /** By file name (`<name>.template.yaml`). */
  templates: Record<string, unknown>;
}

function configNames(files: Readonly<Record<string, string>>): string[] {
  return Object.keys(files).filter((n) => n === CONFIG_FILE || n.endsWith(TEMPLATE_SUFFIX)).sort();
}

/** Checks the sizes and parses every file within the limits of parse.ts. Throws ConfigError. */
export function parseConfigFiles(files: Readonly<Record<string, string>>, onFile?: (file: string) => void): ParsedConfig {
  const names = configNames(files);
  if (!Object.hasOwn(files, CONFIG_FILE)) throw new ConfigError('missing; the configuration needs config.yaml', CONFIG_FILE);
  checkSizes(files, names);
  onFile?.(CONFIG_FILE);
  const config = parseConfigYaml(CONFIG_FILE, files[CONFIG_FILE]);
  const templates: Record<string, unknown> = {};
  for (const file of names) {
    if (!file.endsWith(TEMPLATE_SUFFIX)) continue;
    const name = file.slice(0, -TEMPLATE_SUFFIX.length);
    if (!TEMPLATE_NAME.test(name)) {
      throw new ConfigError(`template name "${name}" must be lowercase letters, digits and '-'`, file);
    }
    onFile?.(file);
    templates[file] = parseConfigYaml(file, files[file]);
  }
  return { config, templates };
}

/**
 * Builds a Snapshot from the files of a config directory or ConfigMap: key `config.yaml`
 * and keys `<name>.template.yaml`. Other keys are ignored. Parses, validates and
 * trial-renders on the calling thread: the server uses compile-bounded.ts instead.
 * Throws ConfigError.
 */
export function compileSnapshot(files: Readonly<Record<string, string>>, options: CompileOptions = {}): Snapshot {
  return buildSnapshot(files, parseConfigFiles(files), options);
}

/**
 * The Snapshot of parsed files: validates every field, and trial-renders every template
 * unless `trialRender` is false (the version was already rendered elsewhere). Throws ConfigError.
 */
export function buildSnapshot(files: Readonly<Record<string, string>>, parsed: ParsedConfig, options: CompileOptions = {}, trialRender = true): Snapshot {
  const names = configNames(files);
  const raw = parsed.config ?? {};
  if (!isPlainObject(raw)) throw new ConfigError('expected a mapping at the top level', CONFIG_FILE);
  for (const key of Object.keys(raw)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(`unknown field; accepted: ${CONFIG_KEYS.join(', ')}`, CONFIG_FILE, key);
    }
  }
  const policy = raw.policy ?? 'enabled';
  if (policy !== 'enabled' && policy !== 'disabled') {
    throw new ConfigError(`must be "enabled" or "disabled", got ${JSON.stringify(policy)}`, CONFIG_FILE, 'policy');
  }
  const compat = raw.compat ?? {};
  if (!isPlainObject(compat) || (compat.istio !== undefined && typeof compat.istio !== 'boolean')) {
    throw new ConfigError('expected {istio: true|false}', CONFIG_FILE, 'compat');
  }
  const foreignProxy = raw.foreignProxy ?? 'deny';
  if (foreignProxy !== 'deny' && foreignProxy !== 'skip') {
    throw new ConfigError(`must be "deny" or "skip", got ${JSON.stringify(foreignProxy)}`, CONFIG_FILE, 'foreignProxy');
  }
  const values = raw.values ?? {};
  if (!isPlainObject(values)) throw new ConfigError('expected a mapping', CONFIG_FILE, 'values');

  const meshConfig = raw.meshConfig;
  if (meshConfig !== undefined && !isPlainObject(meshConfig)) throw new ConfigError('expected a mapping (Istio mesh config)', CONFIG_FILE, 'meshConfig');

  const templates = templatesOf(parsed);
  const defaultTemplates = stringList('defaultTemplates', raw.defaultTemplates, ['sidecar']);
  for (const name of defaultTemplates) {
    if (!templates.has(name)) {
      throw new ConfigError(`no template "${name}" (known: ${[...templates.keys()].join(', ') || 'none'})`, CONFIG_FILE, 'defaultTemplates');
    }
  }
  const ignored = new Set(stringList('ignoredNamespaces', raw.ignoredNamespaces, DEFAULT_IGNORED));
  if (options.ownNamespace) ignored.add(options.ownNamespace);

  const snapshot: Snapshot = Object.freeze({
    revision: revisionOf(files, names),
    policy,
    defaultTemplates: Object.freeze(defaultTemplates),
    neverInjectSelector: deepFreeze(selectors('neverInjectSelector', raw.neverInjectSelector)),
    alwaysInjectSelector: deepFreeze(selectors('alwaysInjectSelector', raw.alwaysInjectSelector)),
    ignoredNamespaces: ignored,
    injectedAnnotations: deepFreeze(stringMap('injectedAnnotations', raw.injectedAnnotations)),
    compat: Object.freeze({ istio: compat.istio !== false }),
    foreignProxy,
    values: deepFreeze(values),
    ...(meshConfig === undefined ? {} : { meshConfig: deepFreeze(meshConfig) }),
    templates,
  });
  // Compiled here, when the version loads, so the first pod after a change does not wait for it.
  for (const template of templates.values()) compiledTemplate(template);
  if (trialRender) checkDefaults(snapshot);
  return snapshot;
}

const SAMPLE_NAMESPACE = { name: 'default', labels: {}, annotations: {} };
const SAMPLE_POD = { metadata: { name: 'sample', labels: { app: 'sample' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } };

/**
 * The config's own setting defaults must be valid, and every template must render with
 * them, and with each switch a pod can flip (booleans, interception modes): a branch the
 * defaults never take would otherwise fail only when the first pod takes it.
 */
export function checkDefaults(snapshot: Snapshot, onTemplate?: (file: string) => void): void {
  const resolution = resolveSettings(SAMPLE_POD.metadata, SAMPLE_NAMESPACE, snapshot);
  if (resolution.denial) throw new ConfigError(resolution.denial, CONFIG_FILE, 'values');
  const variants: Array<Record<string, unknown>> = [resolution.settings];
  for (const [name, value] of Object.entries(resolution.settings)) {
    if (typeof value === 'boolean') variants.push({ ...resolution.settings, [name]: !value });
  }
  for (const mode of ['REDIRECT', 'TPROXY', 'NONE']) variants.push({ ...resolution.settings, interceptionMode: mode });
  for (const name of snapshot.templates.keys()) {
    onTemplate?.(`${name}${TEMPLATE_SUFFIX}`);
    for (const settings of variants) {
      try {
        renderTemplates([name], snapshot, templateContext(SAMPLE_POD, SAMPLE_NAMESPACE, settings, snapshot));
      } catch (err) {
        if (!(err instanceof FragmentError)) throw err;
        const flipped = Object.keys(settings).filter((k) => settings[k] !== resolution.settings[k]);
        const when = flipped.length ? ` (with ${flipped.map((k) => `settings.${k}=${JSON.stringify(settings[k])}`).join(', ')})` : '';
        throw new ConfigError(err.problem + when, `${name}${TEMPLATE_SUFFIX}`, err.field);
      }
    }
  }
}
