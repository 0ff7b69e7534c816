// The one test for "a JSON object" (not null, not an array) every layer uses on untrusted input.

/** A JSON object: an object that is neither null nor an array. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/** A labels/annotations map that is safe to read (a malformed one reads as empty). */
export function mapOf(v: unknown): Readonly<Record<string, unknown>> {
  return isPlainObject(v) ? v : EMPTY;
}

/** The map's own value at `key` (never one inherited from Object.prototype). */
export function own(map: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}
