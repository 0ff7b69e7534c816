// The engine trusts nothing about the object it is given: the apiserver sends valid pods,
// but the CLI and a misbehaving caller may not. This names the first field that is wrong.
import { templateMetadataProblem } from './template-bounds.js';
import type { ObjectMeta, Pod, StringMap } from './types.js';
import { isPlainObject } from './plain-object.js';

function stringMapProblem(field: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (!isPlainObject(v)) return `${field} must be a mapping of strings`;
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') return `${field}.${k} must be a string`;
  }
  return undefined;
}

function namedListProblem(field: string, v: unknown, required: boolean): string | undefined {
  if (v === undefined && !required) return undefined;
  if (!Array.isArray(v)) return `${field} must be a list`;
  for (let i = 0; i < v.length; i++) {
    const item = v[i];
    if (!isPlainObject(item) || typeof item.name !== 'string') return `${field}[${i}].name must be a string`;
  }
  return undefined;
}

/** Undefined when the pod can be injected; otherwise what is wrong with it. */
export function podShapeProblem(pod: unknown): string | undefined {
  if (!isPlainObject(pod)) return 'the object must be a mapping';
  const meta = pod.metadata;
  if (meta !== undefined) {
    if (!isPlainObject(meta)) return 'metadata must be a mapping';
    const problem = stringMapProblem('metadata.labels', meta.labels) ?? stringMapProblem('metadata.annotations', meta.annotations)
      ?? templateMetadataProblem(meta.labels as StringMap | undefined);
    if (problem) return problem;
  }
  const spec = (pod as Pod).spec;
  if (!isPlainObject(spec)) return 'spec must be a mapping with a containers list';
  return namedListProblem('spec.containers', spec.containers, true)
    ?? namedListProblem('spec.initContainers', spec.initContainers, false)
    ?? namedListProblem('spec.volumes', spec.volumes, false)
    ?? namedListProblem('spec.imagePullSecrets', spec.imagePullSecrets, false);
}

/** The pod's metadata with labels and annotations that are safe to read (bad shapes read as empty). */
export function readableMetadata(pod: Pod): ObjectMeta {
  const meta = pod.metadata;
  if (!isPlainObject(meta)) return {};
  const readable = (v: unknown) => v === undefined || isPlainObject(v);
  if (readable(meta.labels) && readable(meta.annotations)) return meta;
  return {
    ...meta,
    labels: isPlainObject(meta.labels) ? meta.labels : undefined,
    annotations: isPlainObject(meta.annotations) ? meta.annotations : undefined,
  };
}
