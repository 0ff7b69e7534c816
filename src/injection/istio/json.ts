// The plain-JSON accessors the istio context code reads config and pods with.
export type Json = Record<string, unknown>;
export const isMapping = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The value at `path` under `v`, or undefined where a step is not a mapping. */
export const at = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (isMapping(o) ? o[k] : undefined), v);
/** Text as Go's templates print it: '' for absent values. */
export const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
