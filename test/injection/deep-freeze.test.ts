// The render cache's frozen copies (deep-freeze.ts): the same JSON, frozen at every level,
// sharing no object with the input, a `__proto__` key kept as data, at any depth (the
// recursive copy hands values deeper than its limit to the stack-based one).
import t from 'tap';
import fc from 'fast-check';
import { deepFreeze, frozenJsonCopy } from '../../src/injection/deep-freeze.js';

function everyObject(value: unknown, visit: (o: object) => void): void {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    visit(v);
    stack.push(...Object.values(v));
  }
}

function objectsOf(value: unknown): Set<object> {
  const seen = new Set<object>();
  everyObject(value, (o) => seen.add(o));
  return seen;
}

t.test('a copy of random JSON: equal, frozen everywhere, sharing nothing', async (t) => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
    const copy = frozenJsonCopy(value);
    if (JSON.stringify(copy) !== JSON.stringify(value)) return false;
    let frozen = true;
    everyObject(copy, (o) => { frozen &&= Object.isFrozen(o); });
    const originals = objectsOf(value);
    return frozen && [...objectsOf(copy)].every((o) => !originals.has(o));
  }), { numRuns: 500 });
  t.pass('500 random values');
});

t.test('`__proto__` is data, never the prototype', async (t) => {
  const copy = frozenJsonCopy(JSON.parse('{"a": {"__proto__": {"polluted": true}, "b": [1]}}')) as { a: Record<string, unknown> };
  t.equal(Object.getPrototypeOf(copy.a), Object.prototype);
  t.same(Object.keys(copy.a), ['__proto__', 'b']);
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'nothing reached Object.prototype');
});

t.test('deeper than the call stack: copied and frozen all the way down', async (t) => {
  let deep: unknown = { end: true };
  for (let i = 0; i < 200_000; i++) deep = i % 2 ? [deep] : { next: deep, __proto__: null };
  const copy = frozenJsonCopy(deep);
  let depth = 0;
  let node: unknown = copy;
  while (typeof node === 'object' && node !== null && !('end' in node)) {
    if (!Object.isFrozen(node)) return t.fail(`not frozen at depth ${depth}`);
    node = Array.isArray(node) ? node[0] : (node as { next: unknown }).next;
    depth++;
  }
  t.equal(depth, 200_000, 'every level copied');
  t.ok(Object.isFrozen(node), 'the last one frozen too');
});

t.test('deepFreeze freezes in place, at any depth', async (t) => {
  let deep: Record<string, unknown> = {};
  const top = deep;
  for (let i = 0; i < 100_000; i++) deep = (deep.next = {}) as Record<string, unknown>;
  t.equal(deepFreeze(top), top);
  t.ok(Object.isFrozen(deep), 'the innermost object');
});
