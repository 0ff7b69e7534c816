// Walks over JSON values without recursion: the fuzzers build values nested 100,000 deep,
// which overflow the stack of recursive helpers (JSON.stringify, isDeepStrictEqual).

function isObjectLike(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Freezes every object and array in `value`, so any write to it throws (ES modules are strict). */
export { deepFreeze } from '../../../src/injection/deep-freeze.js';

/** Structural equality of two JSON values (own enumerable keys, order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (!isObjectLike(x) || !isObjectLike(y) || Array.isArray(x) !== Array.isArray(y)) return false;
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (kx.length !== ky.length) return false;
    for (const k of kx) {
      if (!Object.hasOwn(y, k)) return false;
      stack.push([x[k], y[k]]);
    }
  }
  return true;
}
