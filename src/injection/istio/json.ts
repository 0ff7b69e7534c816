// The plain-JSON accessors the istio context code reads config and pods with.
import { isPlainObject } from '../plain-object.js';

export type Json = Record<string, unknown>;
/** The value at `path` under `v`, or undefined where a step is not a mapping. */
export const at = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (isPlainObject(o) ? o[k] : undefined), v);
/** Text as Go's templates print it: '' for absent values. */
export const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
