/**
 * Freezes a JSON-like value and everything under it; returns it. Walks with a stack, not
 * recursion, so a value nested deeper than the call stack (fuzzers build them) is fine.
 * A value already frozen is taken as frozen all the way down.
 */
export function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const child of Object.values(v)) stack.push(child);
  }
  return value;
}
