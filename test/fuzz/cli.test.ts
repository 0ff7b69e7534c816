// Fuzzing the command line's document reader: the captured pods and the captured
// Deployment as YAML and JSON, one field broken, several documents, Lists, damaged text,
// deep nesting and alias bombs. Every case goes through the reader (parseInput, locatePods,
// the engine): it either refuses the input with an InputError or reads it, writing
// unchanged documents back byte for byte. One case in eight also runs `inject -f -` end
// to end (it loads the configuration and rewrites documents, ~50x slower): it must exit 0
// (warnings only) or 1 (errors on stderr, nothing on stdout), never throw, and running it
// again on its own output must change nothing.
import t from 'tap';
import fc from 'fast-check';
import { Readable, Writable } from 'node:stream';
import { stringify } from 'yaml';
import { InputError, locatePods, parseInput } from '../../src/cli/documents.js';
import { runInject } from '../../src/cli/inject.js';
import { evaluatePod } from '../../src/injection/engine.js';
import { snapshotWith } from '../support/config.js';
import { FILE_TIMEOUT_MS, fuzzTarget } from './support/budget.js';
import { capturedReviews } from './support/fixtures.js';
import { assertHeapBounded, assertPrototypesUntouched, MemoryWatch, prototypeFingerprint } from './support/guards.js';
import { hostileString } from './support/hostile.js';
import { byteDamage, damage, deepText, describeMutation, mutateToText, mutation, nodePaths } from './support/mutate.js';

t.setTimeout(FILE_TIMEOUT_MS);
const prototypesBefore = prototypeFingerprint();
const DEADLINE_MS = 30_000;
const ARGS = ['-f', '-', '--namespace-labels', 'sidecar-injection=enabled'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return { stream: new Writable({ write(c, _e, done) { chunks.push(String(c)); done(); } }), text: () => chunks.join('') };
}

async function inject(text: string): Promise<Run> {
  const stdout = sink();
  const stderr = sink();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`inject did not finish within ${DEADLINE_MS} ms`)), DEADLINE_MS); });
  try {
    const code = await Promise.race([runInject(ARGS, { stdin: Readable.from([Buffer.from(text)]), stdout: stdout.stream, stderr: stderr.stream }), deadline]);
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  } finally {
    clearTimeout(timer);
  }
}

/** The problems with one run of `inject` on `text` (and of `inject` on its output). */
async function runProblems(text: string): Promise<string[]> {
  let run: Run;
  try {
    run = await inject(text);
  } catch (err) {
    return [`inject threw ${(err as Error).name}: ${(err as Error).message.split('\n')[0]}`];
  }
  const lines = run.stderr.split('\n').filter(Boolean);
  if (run.code === 1) {
    const problems: string[] = [];
    if (run.stdout !== '') problems.push('exit 1 with output on stdout');
    if (!lines.some((l) => l.startsWith('error: '))) problems.push(`exit 1 without an error line: ${run.stderr.slice(0, 300)}`);
    return problems;
  }
  if (run.code !== 0) return [`exit code ${run.code}: ${run.stderr.slice(0, 300)}`];
  const odd = lines.filter((l) => !l.startsWith('warning: '));
  if (odd.length > 0) return [`exit 0 with stderr lines that are not warnings: ${odd[0].slice(0, 200)}`];
  let again: Run;
  try {
    again = await inject(run.stdout);
  } catch (err) {
    return [`inject on its own output threw ${(err as Error).name}: ${(err as Error).message.split('\n')[0]}`];
  }
  if (again.code !== 0) return [`inject on its own output exited ${again.code}: ${again.stderr.slice(0, 300)}`];
  if (again.stdout !== run.stdout) return ['inject on its own output changed it'];
  return [];
}

const snapshot = snapshotWith();
const enabled = { name: 'default', labels: { 'sidecar-injection': 'enabled' }, annotations: {} };
const memoryWatch = new MemoryWatch();

/** The problems with reading `text` as `inject` does, without loading the configuration each time. */
function readerProblems(text: string): string[] {
  const failed = (step: string, err: unknown) => (err instanceof InputError ? [] : [`${step} threw ${(err as Error).name}: ${(err as Error).message.split('\n')[0]}`]);
  let input;
  try {
    input = parseInput(text, 'fuzz');
  } catch (err) {
    return failed('parseInput', err);
  }
  const problems: string[] = [];
  if (input.render(new Map()) !== text) problems.push('the documents are not written back byte for byte');
  for (const document of input.documents) {
    let sites;
    try {
      sites = locatePods(document, 'fuzz');
    } catch (err) {
      problems.push(...failed('locatePods', err));
      continue;
    }
    for (const site of sites) {
      try {
        evaluatePod(site.pod, { ...enabled, name: site.object.namespace }, snapshot, { kind: 'Pod', operation: 'CREATE' });
      } catch (err) {
        problems.push(`evaluatePod threw on ${site.object.kind}/${site.object.name}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }
  return problems;
}

// The objects: each captured pod, and the captured Deployment (a pod template).
const objects = capturedReviews()
  .filter((r) => r.podCreate || r.review.request.kind.kind === 'Deployment')
  .map((r) => ({ file: r.file, object: r.review.request.object as Record<string, unknown> }));

type Format = 'yaml' | 'json';
const asText = (value: unknown, format: Format) => (format === 'json' ? JSON.stringify(value, null, 2) : stringify(value));

/** One object with one field mutated, as YAML or JSON, possibly among other documents or in a List. */
const documentCase = fc.constantFrom(...objects).chain((o) => fc.record({
  file: fc.constant(o.file),
  path: fc.constantFrom(...nodePaths(o.object)),
  mutation: mutation(),
  format: fc.constantFrom<Format>('yaml', 'json'),
  wrapping: fc.constantFrom('alone', 'after another document', 'in a List'),
  damage: fc.option(byteDamage(), { freq: 5 }),
}).map((c) => {
  const text = mutateToText(o.object, c.path, c.mutation);
  // Huge and deeply nested values are written as JSON text, spliced: the test's own YAML
  // writer (and JSON.stringify) would overflow on them, and they are not what is fuzzed.
  const format: Format = c.mutation.kind === 'raw' ? 'json' : c.format;
  let body: string;
  if (format === 'json') body = c.wrapping === 'in a List' ? `{"apiVersion":"v1","kind":"List","items":[${text || 'null'}]}` : text;
  else {
    const value: unknown = text === '' ? null : JSON.parse(text);
    body = asText(c.wrapping === 'in a List' ? { apiVersion: 'v1', kind: 'List', items: [value] } : value, 'yaml');
  }
  if (c.wrapping === 'after another document') {
    const other = asText(objects[0].object, format);
    body = format === 'json' ? `${other}\n${body}` : `${other}---\n${body}`;
  }
  if (c.damage) body = damage(Buffer.from(body), c.damage).toString('utf8');
  return { what: `${o.file} at /${c.path.join('/')}: ${describeMutation(c.mutation)}, ${format} ${c.wrapping}${c.damage ? `, damaged ${JSON.stringify(c.damage)}` : ''}`, body };
}));

/** YAML that is hard to read: tokens with meaning spliced into a valid manifest. */
const yamlTokens = fc.constantFrom(
  '---\n', '...\n', '- ', ': ', '? ', '&a ', '*a', '<<: *a\n', '!!binary ', '!!str ', '!local ', '%YAML 1.2\n---\n', '%TAG ! tag:x,2000:\n',
  '{', '}', '[', ']', '"', "'", '#', '|\n', '>-\n', '\t', '\n  ', '\ufeff', 'on', 'yes', '~', '0x1F', '1_000', '12:30:00', '2024-01-31',
);
const spliceCase = fc.tuple(fc.constantFrom(...objects), fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.oneof(yamlTokens, hostileString())), { minLength: 1, maxLength: 4 }))
  .map(([o, splices]) => {
    let body = stringify(o.object);
    for (const [at, token] of splices) {
      const i = Math.floor(at * body.length);
      body = body.slice(0, i) + token + body.slice(i);
    }
    return { what: `${o.file} as YAML with ${JSON.stringify(splices.map(([, s]) => s.slice(0, 40)))} spliced in`, body };
  });

t.test('fuzz: broken manifests through the reader, and one in eight through inject -f -', async (t) => {
  let full = 0;
  const endToEnd = fc.nat(7).map((n) => n === 0);
  t.pass(await fuzzTarget('cli', 40, (params) => {
    return fc.assert(fc.asyncProperty(fc.oneof({ arbitrary: documentCase, weight: 3 }, { arbitrary: spliceCase, weight: 1 }), endToEnd, async (c, wholeCommand) => {
      const problems = readerProblems(c.body);
      if (problems.length === 0 && wholeCommand) {
        full++;
        problems.push(...await runProblems(c.body));
      }
      if (problems.length > 0) throw new Error(`${c.what}\n  ${problems.join('; ')}`);
    }), params);
  }));
  memoryWatch.warmedUp();
  t.comment(`${full} of them also through inject -f - (twice: on the input and on its output)`);
});

t.test('edge cases: deep nesting, alias bombs, huge documents, odd streams', async (t) => {
  const pod = objects[0].object;
  const billionLaughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    .concat(Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)).join('\n');
  const cases: Array<[string, string]> = [
    ['flow arrays nested 10,000 deep', deepText(10_000, 'array')],
    ['flow arrays nested 10,000 deep in YAML', `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: ${deepText(10_000, 'array')}\n`],
    ['block mappings nested 1,000 deep', Array.from({ length: 1000 }, (_, i) => `${'  '.repeat(i)}a:`).join('\n') + ' 1\n'],
    ['block sequences nested 1,000 deep', Array.from({ length: 1000 }, (_, i) => `${'  '.repeat(i)}-`).join('\n') + ' 1\n'],
    ['a List nested 10,000 deep', '{"kind":"List","items":['.repeat(10_000) + ']}'.repeat(10_000)],
    ['arrays nested 10,000 deep inside an injected pod (JSON)', JSON.stringify(pod).replace('"spec":{', () => `"spec":{"deep":${deepText(10_000, 'array')},`)],
    ['arrays nested 1,000 deep inside an injected pod (YAML)', `${stringify(pod)}extra: ${deepText(1_000, 'array')}\n`],
    ['a billion laughs', billionLaughs],
    ['aliases as the pod', `x: &p ${JSON.stringify(pod)}\n---\n*p\n`],
    ['a merge key into the pod', `base: &b {apiVersion: v1, kind: Pod}\n---\n<<: *b\nmetadata: {name: m}\nspec: {containers: [{name: app, image: app}]}\n`],
    ['30 documents', Array(30).fill(stringify(pod)).join('---\n')],
    ['a 1 MB annotation', stringify({ ...pod, metadata: { ...(pod.metadata as object), annotations: { big: 'x'.repeat(1024 * 1024) } } })],
    ['__proto__ keys in JSON', JSON.stringify(pod).replace('"metadata":{', '"metadata":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},')],
    ['__proto__ keys in YAML', `__proto__: {polluted: yes}\n${stringify(pod)}`],
    ['only comments and separators', '# a\n---\n# b\n---\n...\n'],
    ['a BOM then JSON', `\ufeff${JSON.stringify(pod)}`],
    ['NUL bytes', `${stringify(pod)}\u0000\u0000`],
    ['an unterminated JSON string', '{"kind":"Pod","metadata":{"name":"p'],
    ['JSON closed too often', `${JSON.stringify(pod)}]]]}}}`],
  ];
  for (const [name, text] of cases) {
    t.same([...readerProblems(text), ...await runProblems(text)], [], name);
  }
  const refused = await inject('{"kind":"List","items":['.repeat(10_000) + ']}'.repeat(10_000));
  t.equal(refused.code, 1, 'a List nested 10,000 deep is refused with exit code 1');
  t.match(refused.stderr, /^error: <stdin>: document 1: the document is nested more than 1000 levels deep/, 'naming the document and the limit');
});

t.test('after the run: prototypes untouched, heap bounded', async (t) => {
  assertPrototypesUntouched(t, prototypesBefore);
  assertHeapBounded(t, memoryWatch, 'test/fuzz/cli.test.ts');
});
