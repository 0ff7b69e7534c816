// The template compiler against json-e itself: random templates built from every operator,
// with random expressions (valid or not) over random contexts, and a table of the corners
// of json-e's render (each operator's errors, escapes, deletion, key interpolation). Each
// case is rendered both ways and must give deep-equal values or the same error.
import t from 'tap';
import fc from 'fast-check';
import { compiledTemplate, compileTemplate } from '../../src/injection/template-compile.js';
import { deepFreeze } from '../../src/injection/deep-freeze.js';
import { stableStringify as jsoneStableStringify } from '../../src/injection/jsone-internals.js';
import { stableStringify } from '../../src/injection/stable-json.js';
import { hostileString } from '../fuzz/support/hostile.js';
import { renderBoth } from '../support/render-parity.js';
import { TEMPLATE_CASES } from './template-compile-cases.js';

// Names the expressions use: the context's, the loop variables, builtins, one unknown. Not
// `now`: json-e and the compiled form each read the clock (fromNow is tested with `from`).
const NAMES = ['a', 'b', 's', 'n', 'list', 'obj', 'flag', 'x', 'i', 'acc', 'k', 'zz', 'len', 'str', 'min', 'max', 'range', 'defined', 'typeof', 'split', 'join', 'lowercase', 'uppercase', 'strip', 'number', 'abs'];
const BINARY = ['||', '&&', 'in', '==', '!=', '<', '>', '<=', '>=', '+', '-', '*', '/', '**'];
const FUNCTIONS = ['len', 'str', 'min', 'max', 'range', 'defined', 'typeof', 'split', 'join', 'lowercase', 'uppercase', 'strip', 'rstrip', 'number', 'abs', 'sqrt', 'floor'];

const { expr } = fc.letrec<{ expr: string; atom: string }>((tie) => ({
  atom: fc.oneof(
    { arbitrary: fc.constantFrom('a', 's', 'n', 'list', 'obj', 'flag'), weight: 4 },
    { arbitrary: fc.constantFrom(...NAMES), weight: 1 },
    { arbitrary: fc.integer({ min: -3, max: 12 }).map(String), weight: 1 },
    { arbitrary: fc.constantFrom('"a"', "'b'", '""', '"in"', 'true', 'false', 'null', '[]', '{}', '1.5', '"x,y"', '"toString"', '"__proto__"', '"k"'), weight: 1 },
    { arbitrary: fc.constantFrom('x.key', 'x.val', 'x', 'i', 'acc'), weight: 1 },
  ),
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: tie('atom'), weight: 6 },
    { arbitrary: fc.tuple(tie('expr'), fc.constantFrom(...BINARY), tie('expr')).map(([l, op, r]) => `(${l} ${op} ${r})`), weight: 2 },
    { arbitrary: fc.tuple(fc.constantFrom('!', '-', '+'), tie('expr')).map(([op, e]) => `${op}${e}`), weight: 1 },
    { arbitrary: fc.tuple(tie('expr'), fc.constantFrom('a', 'key', 'val', 'x', 'length')).map(([e, f]) => `${e}.${f}`), weight: 1 },
    { arbitrary: fc.tuple(tie('expr'), tie('expr')).map(([e, i]) => `${e}[${i}]`), weight: 1 },
    { arbitrary: fc.tuple(tie('expr'), fc.option(tie('expr')), fc.option(tie('expr'))).map(([e, l, r]) => `${e}[${l ?? ''}:${r ?? ''}]`), weight: 1 },
    { arbitrary: fc.tuple(fc.constantFrom(...FUNCTIONS), fc.array(tie('expr'), { maxLength: 3 })).map(([f, args]) => `${f}(${args.join(', ')})`), weight: 1 },
    { arbitrary: fc.array(tie('expr'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`), weight: 1 },
    { arbitrary: fc.tuple(tie('expr'), tie('expr')).map(([v, w]) => `{k: ${v}, "q r": ${w}}`), weight: 1 },
    // Text json-e cannot parse, or parses differently than it looks.
    { arbitrary: fc.constantFrom('', ')', '(a', 'a b', '[1,]', '[,1]', '{a: }', 'a.', 'a..b', '1 +', 'f(1,)', '"open', '$', 'a[]', 'a[1:2:3]', '}'), weight: 1 },
    { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
  ),
}));

const text = fc.oneof({ arbitrary: fc.constantFrom('', 'x', '-', ' ', '$', '$$', '}', '{'), weight: 3 }, { arbitrary: hostileString(), weight: 1 });
const interpolated = fc.array(fc.oneof(
  { arbitrary: text, weight: 3 },
  { arbitrary: expr.map((e) => `\${${e}}`), weight: 3 },
  { arbitrary: fc.constantFrom('$${a}', '${', '$${', '${a}}'), weight: 1 },
), { minLength: 1, maxLength: 3 }).map((parts) => parts.join(''));
const key = fc.oneof(
  { arbitrary: fc.constantFrom('a', 'b-c', '', '$$eval', '$$x', '${s}', '${n}', 'then', 'each(x)', 'in', '$', 'k${a}'), weight: 8 },
  { arbitrary: fc.constantFrom('$foo', '${list}', '__proto__'), weight: 1 },
  { arbitrary: interpolated, weight: 1 },
);
const scalar = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), text);
/** Mostly the valid form, sometimes one json-e refuses. */
const mostly = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 8 }, { arbitrary: invalid, weight: 1 });
const dict = <T>(k: fc.Arbitrary<string>, v: fc.Arbitrary<T>, maxKeys: number) => fc.dictionary(k, v, { maxKeys, noNullPrototype: true });

type Tpl = unknown;
const { template } = fc.letrec<{ template: Tpl }>((tie) => {
  const node = tie('template');
  const list = mostly(fc.oneof(fc.constant({ $eval: 'list' }), fc.array(node, { maxLength: 3 })), node);
  const objects = mostly(fc.oneof(fc.constant({ $eval: '[obj, {a: a}]' }), fc.array(dict(key, node, 2), { maxLength: 3 })), node);
  const body = fc.oneof({ arbitrary: node, weight: 3 }, fc.constantFrom({ '${x.key}': { $eval: 'x.val' } }, { '${i}': { $eval: 'x' } }, { $eval: '[x, i]' }));
  const eachKey = mostly(fc.constantFrom('each(x)', 'each(x, i)', 'each(x,i)'), fc.constantFrom('each(1)', 'each(x', 'eachx'));
  const extra = fc.oneof({ arbitrary: fc.constant({}), weight: 12 },
    { arbitrary: dict(fc.constantFrom('then', 'else', 'in', 'from', 'initial', 'extra', '$then', 'by(x)'), node, 2), weight: 1 });
  const op = (arb: fc.Arbitrary<Record<string, unknown>>) => fc.tuple(arb, extra).map(([o, more]) => ({ ...more, ...o }));
  return {
    template: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar, interpolated, interpolated,
      fc.array(node, { maxLength: 3 }),
      dict(key, node, 3),
      op(expr.map((e) => ({ $eval: e }))),
      op(fc.record({ $if: mostly(expr, fc.constant(true as unknown as string)), then: node, else: node }, { requiredKeys: ['$if'] })),
      op(fc.record({ $let: mostly(dict(fc.constantFrom('x', 'i', 'a', 'zz'), node, 2), fc.oneof(dict(fc.constantFrom('bad-key', '${s}'), node, 1), node)), in: node }, { requiredKeys: ['$let'] })),
      op(fc.tuple(mostly(fc.oneof(list, fc.constant({ $eval: 'obj' })), node), eachKey, body).map(([v, k, each]) => ({ $map: v, [k]: each }))),
      op(fc.tuple(list, eachKey, expr).map(([v, k, e]) => ({ $find: v, [k]: e }))),
      op(fc.tuple(list, mostly(fc.constantFrom('each(acc, x)', 'each(acc, x, i)'), fc.constant('each(acc)')), node, node)
        .map(([v, k, each, initial]) => ({ $reduce: v, [k]: each, initial }))),
      op(fc.tuple(fc.constantFrom('$merge', '$mergeDeep'), objects).map(([name, v]) => ({ [name]: v }))),
      op(fc.tuple(fc.constantFrom('$flatten', '$flattenDeep', '$json', '$reverse'), list).map(([name, v]) => ({ [name]: v }))),
      op(fc.tuple(mostly(fc.oneof(fc.constant({ $eval: 'list' }), fc.array(fc.oneof(fc.integer(), fc.constantFrom('a', 'b', 'c')), { maxLength: 4 })), node), fc.option(expr))
        .map(([v, by]) => (by === null ? { $sort: v } : { $sort: v, 'by(x)': by }))),
      op(fc.tuple(fc.constantFrom('$switch', '$match'), mostly(dict(fc.oneof(expr, fc.constant('$default')), node, 3), node)).map(([name, cases]) => ({ [name]: cases }))),
      op(fc.tuple(fc.constantFrom('1 day', '-2 hours', 'soon', ''), node).map(([span]) => ({ $fromNow: span, from: '2026-01-02T03:04:05.000Z' }))),
    ),
  };
});

const json = fc.jsonValue({ maxDepth: 2 });
const context = fc.record({
  a: json, b: json, s: fc.oneof(text, fc.constantFrom('x,y', 'a', 'in')), n: fc.integer({ min: -2, max: 5 }),
  list: fc.array(json, { maxLength: 4 }), obj: dict(fc.constantFrom('a', 'key', 'val', 'x', 'k'), json, 3), flag: fc.boolean(),
});

t.test('random templates over random contexts render as json-e renders them', async (t) => {
  let errors = 0;
  let runs = 0;
  fc.assert(fc.property(template, context, (source, ctx) => {
    deepFreeze(source); // as the config compiler freezes templates
    const compiled = compileTemplate(source);
    // Twice: what one render leaves (shared builtins, json-e's `range`) must not change the next.
    for (const result of [renderBoth(source, ctx, compiled), renderBoth(source, ctx, compiled)]) {
      runs++;
      if ('error' in result.jsone) errors++;
      if (!result.same) throw new Error(`differs: ${JSON.stringify({ source, ctx, jsone: result.jsone, compiled: result.compiled }).slice(0, 2000)}`);
    }
  }), { numRuns: 4000 });
  t.comment(`${runs / 2} random templates rendered twice: ${runs} renders, ${errors} of them failing in json-e`);
  t.ok(errors > runs / 10 && errors < runs * 0.9, 'both values and errors were compared');
});

t.test('the corners of json-e\'s render', async (t) => {
  for (const c of TEMPLATE_CASES) {
    const result = renderBoth(c.template, c.context ?? { a: 1, s: 'str', list: [3, 1, 2], obj: { k: 'v' } });
    t.strictSame(result.compiled, result.jsone, c.name);
    if (c.error !== undefined) t.match('error' in result.compiled ? result.compiled.error : '(no error)', c.error, `${c.name}: fails`);
  }
});

t.test('a template is compiled once and kept with it', async (t) => {
  const template = deepFreeze({ name: 'x', source: { a: { $eval: 'a' } } });
  t.equal(compiledTemplate(template), compiledTemplate(template));
  t.strictSame(compiledTemplate(template)({ a: 1 }), { a: 1 });
  t.not(compiledTemplate({ ...template }), compiledTemplate(template), 'another config version compiles its own');
});

t.test('constant parts are fresh copies on every render', async (t) => {
  const render = compileTemplate(deepFreeze({ list: [{ b: [1, 2] }], v: { $eval: 'a' } }));
  const first = render({ a: 1 }) as { list: Array<{ b: number[] }> };
  first.list[0].b.push(3);
  t.strictSame(render({ a: 1 }), { list: [{ b: [1, 2] }], v: 1 }, 'a change to one render is not seen by the next');
  t.notOk(Object.isFrozen(first.list), 'not frozen, as json-e\'s results are not');
  // A constant with the keys JSON orders its own way, a `__proto__` key and a hole.
  const odd = JSON.parse('{"c": {"b": 1, "10": 2, "9": 3, "__proto__": {"x": [1, {}]}}, "v": {"$eval": "a"}}');
  odd.c.list = [1, , 3];
  const rendered = compileTemplate(odd)({ a: 1 }) as { c: Record<string, unknown> };
  t.equal(JSON.stringify(rendered), '{"c":{"9":3,"10":2,"b":1,"__proto__":{"x":[1,{}]},"list":[1,null,3]},"v":1}', 'keys, __proto__ and holes as JSON has them');
  t.equal(Object.getPrototypeOf(rendered.c), Object.prototype, '`__proto__` is data, not the prototype');
});

t.test('$json text is json-e\'s, for plain data and for what is handed to its module', async (t) => {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  let deep: unknown = 'end';
  for (let i = 0; i < 150; i++) deep = { [`k${i % 3}`]: [deep] };
  const values: Array<[string, unknown]> = [
    ['plain', { b: [1, 'x', null, true, { z: 1, a: [] }], a: { '': 0, 'é': -0, '\u0000': 1e21 } }],
    ['undefined and functions', { a: undefined, b: [undefined, () => 1, Symbol('s')], c: () => 1 }],
    ['a Date', { at: new Date(0) }],
    ['toJSON', { v: { toJSON: () => ({ b: 1, a: 2 }) } }],
    ['deeper than the fast path', deep],
    ['__proto__ key', JSON.parse('{"__proto__": {"b": 1}, "a": 2}')],
    ['top-level string', 'x"y'],
    ['text JSON escapes', { 'k"\\': 'a\u0007b\n', pair: '\ud83d\ude00', lone: '\udc00', separators: '\u2028\u2029', del: '\u007f/é' }],
    ['one key, many keys', { only: { z: 1 }, many: { b: 2, a: 1, '10': 3, '9': 4 } }],
  ];
  for (const [name, value] of values) t.equal(stableStringify(value), jsoneStableStringify(value), name);
  t.throws(() => stableStringify(cycle), { message: 'Converting circular structure to JSON' }, 'a cycle fails as json-e fails');
  t.throws(() => stableStringify({ n: 1n }), TypeError, 'a BigInt fails as json-e fails');
});
