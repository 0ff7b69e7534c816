// The nesting-depth checks: the scan that runs before JSON.parse on large bodies (depth
// counted outside strings only: brackets in strings and escaped quotes do not count), the
// walk of a small body's parsed value, which counts the same levels; the first level over
// the bound reported with a JSON path, a deep body answered 400 in the JSON error shape.
import t, { type Test } from 'tap';
import { findTooDeep, valueNestsDeeper } from '../../src/server/json-depth.js';
import { PARSE_FIRST_MAX_BYTES } from '../../src/server/json-body.js';
import { buildApp } from '../../src/server/webhook-app.js';
import { createMetrics } from '../../src/server/metrics.js';
import { MAX_JSON_DEPTH } from '../../src/server/limit-defaults.js';
import { captureLogs, enabledNamespaces, FAKE_SNAPSHOT, fixture, outcome } from './support/harness.js';

/** A webhook app whose engine is a stub; posts a JSON body to /inject. */
function webhook(t: Test) {
  const app = buildApp({
    logger: captureLogs().logger, metrics: createMetrics({ processMetrics: false }),
    snapshot: () => FAKE_SNAPSHOT, namespaces: enabledNamespaces(), evaluate: () => outcome({}),
  });
  t.teardown(() => app.close());
  return (payload: string) => app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload });
}

t.test('counts containers, not brackets inside strings', async (t) => {
  t.equal(findTooDeep('[[[]]]', 3), undefined, 'exactly at the bound');
  t.match(findTooDeep('[[[[]]]]', 3), { depth: 4, offset: 3, path: '[0][0][0]' });
  t.equal(findTooDeep(JSON.stringify({ a: '[[[[[[{{{{{', b: 'x\\"[[[[[[' }), 1), undefined, 'strings and escaped quotes are skipped');
  t.match(findTooDeep('{"a":{"b":[1,2,{"c":{}}]}}', 4), { depth: 5, path: 'a.b[2].c' });
  t.equal(findTooDeep('{"a":', 1), undefined, 'malformed JSON is left to the parser');
  t.match(findTooDeep(Buffer.from('{"é€":[["[",[[]]]]}'), 3), { depth: 4, path: 'é€[0][1]' }, 'bytes: multi-byte characters, the path in characters');
});

t.test('a real review is far from the bound; the deep path is cut for the error', async (t) => {
  for (const f of ['01-', '08-', '10-']) t.equal(findTooDeep(fixture(f).text, 24), undefined, `${f} nests less than 24 levels`);
  const found = findTooDeep(`{"x":${'['.repeat(100)}${']'.repeat(100)}}`, MAX_JSON_DEPTH);
  t.match(found, { depth: MAX_JSON_DEPTH + 1, path: /^x(\[0\]){11}\.\.\.$/ });
});

t.test('the webhook answers a too-deep body 400 nesting-too-deep before parsing it', async (t) => {
  const post = webhook(t);
  const review = fixture('01-').review;
  const deep = JSON.stringify(review).replace('"spec":{', `"spec":{"x":${'['.repeat(200_000)}${']'.repeat(200_000)},`);
  const res = await post(deep);
  t.equal(res.statusCode, 400);
  t.match(res.json(), { error: { code: 'nesting-too-deep', field: /^request\.object\.spec\.x\[0\]/, message: /deeper than 64 levels/ } });
  const ok = await post(JSON.stringify(review));
  t.equal(ok.statusCode, 200, 'an ordinary review still passes');
  const proto = await post('{"__proto__":{"x":1}}');
  t.match(proto.json(), { error: { code: 'invalid-json' } }, 'fastify\'s prototype-poisoning check still runs after the scan');
});

t.test('a small deep body is parsed first, then answered 400 nesting-too-deep with the same path', async (t) => {
  const post = webhook(t);
  const review = fixture('01-').review;
  const deep = JSON.stringify(review).replace('"spec":{', `"spec":{"x":${'[{"y":'.repeat(40)}1${'}]'.repeat(40)},`);
  t.ok(deep.length <= PARSE_FIRST_MAX_BYTES, 'small enough to be parsed first');
  const res = await post(deep);
  t.equal(res.statusCode, 400);
  t.match(res.json(), { error: { code: 'nesting-too-deep', field: /^request\.object\.spec\.x\[0\]\.y\[0\]/, message: /deeper than 64 levels \(at character \d+\)/ } });
  const bad = await post(`${'['.repeat(100)}`);
  t.match(bad.json(), { error: { code: 'invalid-json' } }, 'a small malformed body is the parser\'s error');
});

t.test('the walk of a parsed value counts the levels the scan of its text counts', async (t) => {
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const value = (depth: number): unknown => {
    const r = next();
    if (depth > 7 || r < 0.25) return r < 0.1 ? 'x[{' : r < 0.18 ? null : 1;
    const items = Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    return r < 0.6 ? items : Object.fromEntries(items.map((v, i) => [`k${i}`, v]));
  };
  for (let n = 0; n < 2000; n++) {
    const text = JSON.stringify(value(0));
    const max = 1 + Math.floor(next() * 6);
    const walked = valueNestsDeeper(JSON.parse(text), max);
    const scanned = findTooDeep(text, max) !== undefined;
    if (walked !== scanned) {
      t.fail(`${text} at depth ${max}: walk ${walked}, scan ${scanned}`);
      return;
    }
  }
  t.equal(valueNestsDeeper(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 64), true, '100,000 levels: no stack overflow');
  t.equal(valueNestsDeeper('[[[[', 1), false, 'a string is no level');
});

t.test('the quick passes (string and bytes) and the path-finding pass agree on random bracket soup', async (t) => {
  // A reference: the original one-pass scan, character by character.
  const reference = (text: string, max: number) => {
    let depth = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '"') {
        for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      } else if (c === '[' || c === '{') {
        if (depth >= max) return i;
        depth++;
      } else if ((c === ']' || c === '}') && depth > 0) depth--;
    }
    return undefined;
  };
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = ['[', ']', '{', '}', '"', '\\', 'a', ':', ','];
  for (let n = 0; n < 2000; n++) {
    const text = Array.from({ length: 1 + Math.floor(next() * 40) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    const max = 1 + Math.floor(next() * 4);
    const expected = reference(text, max);
    const found = findTooDeep(text, max);
    const fromBytes = findTooDeep(Buffer.from(text), max);
    if (found?.offset !== expected || fromBytes?.offset !== expected) {
      t.fail(`${JSON.stringify(text)} at depth ${max}: expected ${expected}, found ${found?.offset} (string), ${fromBytes?.offset} (bytes)`);
      return;
    }
  }
  t.pass('2000 random texts');
});
