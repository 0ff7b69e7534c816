// JSON text of values shared between requests. A cached rendering (render-cache.ts) is
// deep-frozen and handed to every replica of a workload; serializing its containers anew
// for each patch was the largest cost left on a cache hit, so their JSON is kept beside them.
const jsonOf = new WeakMap<object, string | undefined>();

/** Marks a deep-frozen value whose JSON may be computed once and reused. */
export function markShared(value: object): void {
  if (!Object.isFrozen(value)) throw new TypeError('only frozen values can be shared');
  jsonOf.set(value, undefined);
}

/** JSON.stringify(value), from memory when the value is shared. */
export function toJson(value: unknown): string {
  if (typeof value !== 'object' || value === null || !jsonOf.has(value)) return JSON.stringify(value);
  let text = jsonOf.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    jsonOf.set(value, text);
  }
  return text;
}
