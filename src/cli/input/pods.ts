// The pods and pod templates in a manifest: a Pod, or the template of a workload kind
// (Deployment, CronJob, ...), also inside Lists.
import type { Pod } from '../../injection/types.js';
import { valueAt, type SourceDocument } from './stream.js';
import { describeWhere, InputError, pointerOf, type PathSegment, type Where } from './where.js';
import { isPlainObject } from '../../injection/plain-object.js';

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}

interface PodHolder {
  /** API groups the kind is served from ('' = core). */
  groups: readonly string[];
  /** Path from the object to its pod (empty for a Pod). */
  template: readonly string[];
}

const POD_HOLDERS: Readonly<Record<string, PodHolder>> = {
  Pod: { groups: [''], template: [] },
  ReplicationController: { groups: [''], template: ['spec', 'template'] },
  Deployment: { groups: ['apps', 'extensions'], template: ['spec', 'template'] },
  ReplicaSet: { groups: ['apps', 'extensions'], template: ['spec', 'template'] },
  DaemonSet: { groups: ['apps', 'extensions'], template: ['spec', 'template'] },
  StatefulSet: { groups: ['apps'], template: ['spec', 'template'] },
  Job: { groups: ['batch'], template: ['spec', 'template'] },
  CronJob: { groups: ['batch'], template: ['spec', 'jobTemplate', 'spec', 'template'] },
};

/** Kinds whose pod (template) is injected; every other kind passes through. */
export const POD_KINDS: readonly string[] = Object.keys(POD_HOLDERS);

/** A pod, or a workload's pod template, found in the input. */
export interface PodSite {
  source: string;
  document: number;
  /** From the document root to the object holding the pod (empty, or a List item). */
  objectPath: PathSegment[];
  /** From the document root to the pod or template itself. */
  path: PathSegment[];
  object: { apiVersion?: string; kind: string; name: string; namespace: string };
  /** The pod, or the template (metadata + spec), as in the input. */
  pod: Pod;
}

/** `deploy.yaml: document 2 (Deployment/web)`, for messages about one pod. */
export function describeSite(site: PodSite): string {
  return describeWhere({
    source: site.source, document: site.document, pointer: pointerOf(site.objectPath),
    object: `${site.object.kind}/${site.object.name}`,
  });
}

function groupOf(apiVersion: unknown): string | undefined {
  if (typeof apiVersion !== 'string') return undefined;
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

function nameOf(meta: Record<string, unknown>): string {
  if (typeof meta.name === 'string' && meta.name !== '') return meta.name;
  if (typeof meta.generateName === 'string' && meta.generateName !== '') return `${meta.generateName}*`;
  return '(unnamed)';
}

// Manifests are a few dozen levels deep at most. Far deeper input (JSON.parse takes any
// depth) would overflow the stack in the recursive steps after this one: walking nested
// Lists, copying the document (structuredClone), writing it back (JSON.stringify, YAML).
const MAX_NESTING = 1000;

/** Whether `value` has objects or arrays nested more than `max` levels; without recursion. */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * The pods and pod templates of one document, in order (Lists are walked). The pod's
 * namespace is its object's metadata.namespace, else "default". Throws InputError for a
 * document that is not a Kubernetes object, a workload without a pod template, or a
 * document nested more than MAX_NESTING levels deep.
 */
export function locatePods(document: SourceDocument, source: string): PodSite[] {
  if (nestedDeeperThan(document.value, MAX_NESTING)) {
    throw new InputError({ source, document: document.index }, `the document is nested more than ${MAX_NESTING} levels deep`);
  }
  const sites: PodSite[] = [];
  const visit = (value: unknown, path: PathSegment[]): void => {
    const where: Where = { source, document: document.index, pointer: pointerOf(path) };
    if (value === null && path.length === 0) return; // an empty document
    if (!isPlainObject(value)) {
      throw new InputError(where, `expected a Kubernetes object (a mapping with apiVersion and kind), got ${describeType(value)}`);
    }
    const kind = value.kind;
    if (typeof kind !== 'string' || kind === '') {
      throw new InputError(where, 'field kind: missing; every object needs apiVersion and kind (e.g. apiVersion: apps/v1, kind: Deployment)');
    }
    if (kind === 'List' || (kind.endsWith('List') && Array.isArray(value.items))) {
      if (!Array.isArray(value.items)) throw new InputError(where, `field items: expected a list of objects in this ${kind}`);
      value.items.forEach((item, i) => visit(item, [...path, 'items', i]));
      return;
    }
    const holder = Object.hasOwn(POD_HOLDERS, kind) ? POD_HOLDERS[kind] : undefined;
    const group = groupOf(value.apiVersion);
    if (!holder || (group !== undefined && !holder.groups.includes(group))) return;
    const meta = isPlainObject(value.metadata) ? value.metadata : {};
    const name = nameOf(meta);
    const pod = valueAt(value, [...holder.template]);
    if (!isPlainObject(pod)) {
      throw new InputError({ ...where, object: `${kind}/${name}` },
        `field ${holder.template.join('.')}: expected a pod template (a mapping with metadata and spec), got ${describeType(pod ?? null)}`);
    }
    sites.push({
      source, document: document.index, objectPath: path, path: [...path, ...holder.template],
      object: {
        ...(typeof value.apiVersion === 'string' ? { apiVersion: value.apiVersion } : {}),
        kind, name,
        namespace: typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default',
      },
      pod: pod as Pod,
    });
  };
  visit(document.value, []);
  return sites;
}

