// Inputs made from real documents by changing one thing: one field (found by walking the
// document) replaced by a value of another type, deleted, made huge or deeply nested, or
// given `__proto__`/`constructor`/`prototype` keys; or the bytes themselves damaged.
// Results are JSON *text*, so keys such as `__proto__` arrive as JSON.parse makes them:
// own properties, exactly what a client can send.
import fc from 'fast-check';
import { hostileKey, hostileString } from './hostile.js';

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

/** What to do at one path. `raw` is spliced into the JSON text as is. */
export type Mutation =
  | { kind: 'replace'; value: unknown }
  | { kind: 'delete' }
  | { kind: 'raw'; label: string; text: string }
  | { kind: 'add-keys'; entries: Array<[string, unknown]> };

export function describeMutation(m: Mutation): string {
  switch (m.kind) {
    case 'replace': return `replace with ${preview(JSON.stringify(m.value))}`;
    case 'delete': return 'delete';
    case 'raw': return m.label;
    case 'add-keys': return `add keys ${preview(JSON.stringify(m.entries.map(([k]) => k)))}`;
  }
}

function preview(text: string | undefined): string {
  if (text === undefined) return 'undefined';
  return text.length > 80 ? `${text.slice(0, 80)}… (${text.length} chars)` : text;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Every node's path (the root included). Long arrays contribute their first two items and
 * their last, so a 900-entry env list does not drown the rest of the document.
 */
export function nodePaths(value: unknown, maxDepth = 12): Path[] {
  const out: Path[] = [];
  const walk = (v: unknown, path: PathSegment[]): void => {
    out.push(path);
    if (path.length >= maxDepth) return;
    if (Array.isArray(v)) {
      const indexes = v.length <= 3 ? v.map((_, i) => i) : [0, 1, v.length - 1];
      for (const i of indexes) walk(v[i], [...path, i]);
    } else if (isPlainObject(v)) {
      for (const k of Object.keys(v)) walk(v[k], [...path, k]);
    }
  };
  walk(value, []);
  return out;
}

/** Nesting `depth` levels deep, as JSON text: `[[[…]]]` or `{"a":{"a":…}}`. */
export function deepText(depth: number, shape: 'array' | 'object'): string {
  return shape === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '0' + '}'.repeat(depth);
}

// A string no generated value contains (generated strings are at most a few KB of text
// without this exact sequence), replaced by the raw text after serializing.
const SLOT = '\u0001fuzz-slot-5b2c9e\u0001';
const SLOT_JSON = JSON.stringify(SLOT);

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  let parent = root as Record<PathSegment, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<PathSegment, unknown>;
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else {
    // defineProperty: a path segment "__proto__" must stay an own property.
    Object.defineProperty(parent, last, { value, writable: true, enumerable: true, configurable: true });
  }
  return root;
}

function getAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const key of path) v = (v as Record<PathSegment, unknown>)[key];
  return v;
}

/**
 * The document as JSON text with `mutation` applied at `path`. `document` is not changed
 * (it is copied through JSON first). Deleting the root gives an empty body.
 */
export function mutateToText(document: unknown, path: Path, mutation: Mutation): string {
  const copy = JSON.parse(JSON.stringify(document)) as unknown;
  switch (mutation.kind) {
    case 'replace':
      return JSON.stringify(setAt(copy, path, mutation.value));
    case 'delete':
      if (path.length === 0) return '';
      return JSON.stringify(setAt(copy, path, undefined));
    case 'raw': {
      const text = JSON.stringify(setAt(copy, path, SLOT));
      return text.replace(SLOT_JSON, () => mutation.text);
    }
    case 'add-keys': {
      const node = getAt(copy, path);
      const base = isPlainObject(node) ? node : {};
      // The keys are written first, as text: JSON.parse makes each an own property.
      const added = mutation.entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',');
      const rest = JSON.stringify(base).slice(1, -1);
      const text = JSON.stringify(setAt(copy, path, SLOT));
      return text.replace(SLOT_JSON, () => `{${added}${rest ? `,${rest}` : ''}}`);
    }
  }
}

/** Values of every JSON type, hostile strings among them, and objects whose keys JavaScript knows. */
export function jsonReplacement(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant(null),
    fc.constantFrom(0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, 65536),
    fc.boolean(),
    hostileString(),
    fc.constantFrom([], [null], ['x'], [{}], [[]]),
    fc.constantFrom({}, { name: 'x' }, { toString: 'x' }, { valueOf: {}, toString: {} }, [{ toString: 1 }], { length: -1 }),
    fc.jsonValue({ maxDepth: 3 }),
  );
}

/** Raw text that JSON.parse accepts but that is costly: deep nesting, huge strings and arrays. */
export function heavyText(): fc.Arbitrary<{ label: string; text: string }> {
  return fc.oneof(
    fc.tuple(fc.constantFrom(100, 1000, 10_000), fc.constantFrom('array' as const, 'object' as const))
      .map(([depth, shape]) => ({ label: `${shape}s nested ${depth} deep`, text: deepText(depth, shape) })),
    fc.tuple(fc.constantFrom(64 * 1024, 1024 * 1024), fc.constantFrom('x', '\\u0000', '\\"', '\\ud800', '😀'))
      .map(([n, unit]) => ({ label: `string of ${n} × ${unit}`, text: `"${unit.repeat(Math.ceil(n / unit.length))}"` })),
    fc.tuple(fc.constantFrom(10_000, 100_000), fc.constantFrom('0', 'null', '"x"', '{}', '[]', '{"name":"app","image":"app:1"}'))
      .map(([n, item]) => ({ label: `array of ${n} × ${item}`, text: `[${Array(n).fill(item).join(',')}]` })),
  );
}

const PROTO_VALUE = { polluted: 'yes' };

/** Keys that try prototype pollution or shadow Object methods, as own properties. */
export function hostileEntries(): fc.Arbitrary<Array<[string, unknown]>> {
  return fc.oneof(
    fc.constantFrom<Array<[string, unknown]>>(
      [['__proto__', PROTO_VALUE]],
      [['constructor', { prototype: PROTO_VALUE }]],
      [['prototype', PROTO_VALUE]],
      [['__proto__', 'x'], ['constructor', 'x'], ['prototype', 'x']],
      [['toString', 'x'], ['valueOf', 'x'], ['hasOwnProperty', 'x']],
      [['toString', { toString: 'x' }]],
    ),
    fc.array(fc.tuple(hostileKey(), fc.oneof(hostileString(), jsonReplacement())), { minLength: 1, maxLength: 4 }),
  );
}

/** One mutation of any kind (paths are chosen by the caller). */
export function mutation(): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { arbitrary: jsonReplacement().map((value): Mutation => ({ kind: 'replace', value })), weight: 8 },
    { arbitrary: fc.constant<Mutation>({ kind: 'delete' }), weight: 3 },
    { arbitrary: heavyText().map((h): Mutation => ({ kind: 'raw', ...h })), weight: 1 },
    { arbitrary: hostileEntries().map((entries): Mutation => ({ kind: 'add-keys', entries })), weight: 3 },
  );
}

/** The fixed list of replacements the exhaustive sweeps use at every path. */
export const SWEEP_MUTATIONS: readonly Mutation[] = Object.freeze([
  { kind: 'replace', value: null },
  { kind: 'replace', value: 7 },
  { kind: 'replace', value: true },
  { kind: 'replace', value: 'fuzz\n"\u0000$(X)${x}' },
  { kind: 'replace', value: [] },
  { kind: 'replace', value: { toString: 'x' } },
  { kind: 'delete' },
  { kind: 'raw', label: 'string of 100000 × x', text: `"${'x'.repeat(100_000)}"` },
  { kind: 'raw', label: 'arrays nested 10000 deep', text: deepText(10_000, 'array') },
  { kind: 'add-keys', entries: [['__proto__', PROTO_VALUE], ['constructor', { prototype: PROTO_VALUE }]] },
  { kind: 'add-keys', entries: [['constructor', 'x'], ['prototype', PROTO_VALUE], ['toString', 'x']] },
]);

/** Damage to the bytes of a valid body. */
export type ByteDamage =
  | { kind: 'truncate'; at: number }
  | { kind: 'set-byte'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: number[] };

export function byteDamage(): fc.Arbitrary<ByteDamage> {
  const at = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
  const special = fc.constantFrom<number[]>([0xff], [0xfe, 0xff], [0xc0, 0x80], [0x80], [0xed, 0xa0, 0x80], [0xef, 0xbb, 0xbf], [0x00], [0x22], [0x5c], [0x7b], [0x5d]);
  return fc.oneof(
    at.map((f): ByteDamage => ({ kind: 'truncate', at: f })),
    fc.tuple(at, fc.integer({ min: 0, max: 255 })).map(([f, byte]): ByteDamage => ({ kind: 'set-byte', at: f, byte })),
    fc.tuple(at, fc.oneof(special, fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 })))
      .map(([f, bytes]): ByteDamage => ({ kind: 'insert', at: f, bytes })),
  ) as fc.Arbitrary<ByteDamage>;
}

/** `at` is a fraction of the length, so one damage fits bodies of any size. */
export function damage(body: Buffer, d: ByteDamage): Buffer {
  const i = Math.floor(d.at * body.length);
  switch (d.kind) {
    case 'truncate': return body.subarray(0, i);
    case 'set-byte': {
      const copy = Buffer.from(body);
      copy[i] = d.byte;
      return copy;
    }
    case 'insert': return Buffer.concat([body.subarray(0, i), Buffer.from(d.bytes), body.subarray(i)]);
  }
}
