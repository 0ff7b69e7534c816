// Checks that a rendered template is a fragment the injector can add to a pod, and merges
// the fragments of several templates. Errors name the template and the field.
import type { Container, Fragment, StringMap, Volume } from './types.js';
import { isPlainObject } from './plain-object.js';
import { quote } from './value-parsers.js';

const FRAGMENT_FIELDS = ['containers', 'initContainers', 'volumes', 'imagePullSecrets', 'annotations', 'labels'] as const;
// RFC 1123 label: what Kubernetes accepts as a container or volume name.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class FragmentError extends Error {
  constructor(readonly template: string, readonly field: string, readonly problem: string) {
    super(`template "${template}": ${field}: ${problem}`);
    this.name = 'FragmentError';
  }
}

/** The longest name of a Secret (a DNS subdomain), and so of a pull secret that can exist. */
const MAX_SECRET_NAME = 253;

/** Why `name` is not accepted in `field`, or undefined. */
type NameRule = (name: unknown) => string | undefined;

// Containers and volumes: what the apiserver accepts.
const dnsLabel: NameRule = (name) => (typeof name !== 'string' || name.length > 63 || !DNS_LABEL.test(name)
  ? `must be a DNS label (lowercase letters, digits, '-'), got ${JSON.stringify(name)}` : undefined);
// A pull secret is a reference the apiserver does not check (a Secret's name is a DNS
// subdomain, dots allowed; v1.20 stores any string): any name up to a Secret's longest, as Istio.
const secretReference: NameRule = (name) => (typeof name !== 'string' || name === '' || name.length > MAX_SECRET_NAME
  ? `must be a Secret's name (1 to ${MAX_SECRET_NAME} characters), got ${typeof name === 'string' ? quote(name, 64) : JSON.stringify(name)}` : undefined);

function namedObjects<T extends { name: string }>(template: string, field: string, raw: unknown, rule: NameRule = dnsLabel): T[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new FragmentError(template, field, 'must be a list');
  raw.forEach((item, i) => {
    if (!isPlainObject(item)) throw new FragmentError(template, `${field}[${i}]`, 'must be a mapping');
    const problem = rule(item.name);
    if (problem !== undefined) throw new FragmentError(template, `${field}[${i}].name`, problem);
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
    imagePullSecrets: namedObjects<{ name: string }>(template, 'imagePullSecrets', rendered.imagePullSecrets, secretReference),
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
