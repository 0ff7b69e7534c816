// The plain-JSON accessors the istio context code reads config and pods with.
import { isPlainObject } from '../plain-object.js';

export type Json = Record<string, unknown>;
/** The value at `path` under `v`, or undefined where a step is not a mapping. */
export const at = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (isPlainObject(o) ? o[k] : undefined), v);
/** Text as Go's templates print it: '' for absent values. */
export const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
/** JSON as Go's encoding/json writes it: <, > and & escaped too (and U+2028, U+2029). */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
