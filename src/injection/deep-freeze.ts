import { setOwn } from './merge.js';

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

/** Past this depth the copy goes on with an explicit stack (fuzzers build values deeper than the call stack). */
const RECURSION_DEPTH = 500;

/**
 * A frozen deep copy of JSON data (what JSON-e returns), each object and array frozen once
 * filled: for the render cache, a quarter of the time of structuredClone then deepFreeze.
 * Recursive, which is twice as fast as a stack for the shallow values templates render;
 * any depth is fine (past RECURSION_DEPTH levels an explicit stack takes over).
 */
export function frozenJsonCopy<T>(value: T): T {
  return copyFrozen(value, 0) as T;
}

function copyFrozen(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > RECURSION_DEPTH) return frozenJsonCopyDeep(value);
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    for (const item of value) copy.push(copyFrozen(item, depth + 1));
    return Object.freeze(copy);
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copyFrozen((value as Record<string, unknown>)[key], depth + 1);
    // A key `__proto__` (an annotation may have one) is data, never the prototype.
    if (key === '__proto__') setOwn(copy, key, item);
    else copy[key] = item;
  }
  return Object.freeze(copy);
}

/** frozenJsonCopy with an explicit stack: for values nested deeper than the call stack allows. */
function frozenJsonCopyDeep<T extends object>(value: T): T {
  const root = Array.isArray(value) ? [] : {};
  const sources: object[] = [value];
  const copies: Array<Record<string, unknown> | unknown[]> = [root];
  while (sources.length > 0) {
    const source = sources.pop() as Record<string, unknown>;
    const copy = copies.pop()!;
    for (const key of Object.keys(source)) {
      let item = source[key];
      if (typeof item === 'object' && item !== null) {
        sources.push(item);
        copies.push(item = Array.isArray(item) ? [] : {});
      }
      if (key === '__proto__') setOwn(copy as Record<string, unknown>, key, item);
      else (copy as Record<string, unknown>)[key] = item;
    }
    Object.freeze(copy);
  }
  return root as T;
}
