// Checks that a rendered template is a fragment the injector can add to a pod, and merges
// the fragments of several templates. Errors name the template and the field.
import type { Container, Fragment, StringMap, Volume } from './types.js';
import { isPlainObject } from './plain-object.js';

const FRAGMENT_FIELDS = ['containers', 'initContainers', 'volumes', 'imagePullSecrets', 'annotations', 'labels'] as const;
// RFC 1123 label: what Kubernetes accepts as a container or volume name.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class FragmentError extends Error {
  constructor(readonly template: string, readonly field: string, readonly problem: string) {
    super(`template "${template}": ${field}: ${problem}`);
    this.name = 'FragmentError';
  }
}

function namedObjects<T extends { name: string }>(template: string, field: string, raw: unknown): T[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new FragmentError(template, field, 'must be a list');
  raw.forEach((item, i) => {
    if (!isPlainObject(item)) throw new FragmentError(template, `${field}[${i}]`, 'must be a mapping');
    const name = item.name;
    if (typeof name !== 'string' || name.length > 63 || !DNS_LABEL.test(name)) {
      throw new FragmentError(template, `${field}[${i}].name`, `must be a DNS label (lowercase letters, digits, '-'), got ${JSON.stringify(name)}`);
    }
  });
  return raw as T[];
}

function stringMap(template: string, field: string, raw: unknown): StringMap {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) throw new FragmentError(template, field, 'must be a mapping of strings');
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new FragmentError(template, `${field}.${k}`, `must be a string, got ${typeof v}`);
  }
  return raw as StringMap;
}

/** Validates one rendered template. Unknown top-level fields are errors, not silently dropped. */
export function toFragment(template: string, rendered: unknown): Fragment {
  if (rendered === null || rendered === undefined) rendered = {};
  if (!isPlainObject(rendered)) throw new FragmentError(template, '(root)', 'must render to a mapping');
  for (const key of Object.keys(rendered)) {
    if (!(FRAGMENT_FIELDS as readonly string[]).includes(key)) {
      throw new FragmentError(template, key, `unknown field; a template renders to ${FRAGMENT_FIELDS.join(', ')}`);
    }
  }
  return {
    containers: namedObjects<Container>(template, 'containers', rendered.containers),
    initContainers: namedObjects<Container>(template, 'initContainers', rendered.initContainers),
    volumes: namedObjects<Volume>(template, 'volumes', rendered.volumes),
    imagePullSecrets: namedObjects<{ name: string }>(template, 'imagePullSecrets', rendered.imagePullSecrets),
    annotations: stringMap(template, 'annotations', rendered.annotations),
    labels: stringMap(template, 'labels', rendered.labels),
  };
}

export function emptyFragment(): Fragment {
  return { containers: [], initContainers: [], volumes: [], imagePullSecrets: [], annotations: {}, labels: {} };
}

/** Appends `next` to `into` (lists in template order; for map keys the first template wins). */
export function mergeFragment(into: Fragment, next: Fragment): Fragment {
  return {
    containers: into.containers.concat(next.containers),
    initContainers: into.initContainers.concat(next.initContainers),
    volumes: into.volumes.concat(next.volumes),
    imagePullSecrets: into.imagePullSecrets.concat(next.imagePullSecrets),
    annotations: { ...next.annotations, ...into.annotations },
    labels: { ...next.labels, ...into.labels },
  };
}
