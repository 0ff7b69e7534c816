// Fuzzing the running webhook through fastify's inject(): captured reviews with one field
// broken, damaged bytes, odd content types and methods, deep nesting, huge bodies, keys
// that try prototype pollution, concurrent requests. Every answer must be a JSON error
// (4xx) or an AdmissionReview in the request's version with its uid and a patch that
// applies; no answer may carry another request's data; the prototypes stay untouched.
import t from 'tap';
import fc from 'fast-check';
import { capturedReview, capturedReviews, type CapturedReview } from './support/fixtures.js';
import { assertHeapBounded, assertPrototypesUntouched, MemoryWatch, prototypeFingerprint } from './support/guards.js';
import { FILE_TIMEOUT_MS, fuzzTarget, LONG_MODE, recordFigures } from './support/budget.js';
import {
  byteDamage, damage, deepText, describeMutation, mutateToText, mutation, nodePaths, SWEEP_MUTATIONS, type Mutation, type Path,
} from './support/mutate.js';
import { answerProblems, decodePatch, parseSent, readableText, type Answer } from './support/oracle.js';
import { fuzzWebhook, type WebhookRequest } from './support/webhook.js';

t.setTimeout(FILE_TIMEOUT_MS);
const prototypesBefore = prototypeFingerprint();
const webhook = fuzzWebhook();
t.teardown(() => webhook.app.close());

const JSON_TYPE = 'application/json';
const reviews = capturedReviews();
const pathsByFile = new Map(reviews.map((r) => [r.file, nodePaths(r.review)]));
const memoryWatch = new MemoryWatch();

async function sendAndCheck(request: WebhookRequest, what: () => string): Promise<Answer> {
  const answer = await webhook.send(request);
  const problems = answerProblems(answer, parseSent(request.body));
  if (problems.length > 0) {
    throw new Error(`${what()}\n  answered ${answer.statusCode}: ${answer.body.slice(0, 300)}\n  problems: ${problems.join('; ')}`);
  }
  return answer;
}

const fieldCase = fc.constantFrom(...reviews).chain((r) => fc.record({
  review: fc.constant(r),
  path: fc.constantFrom(...pathsByFile.get(r.file)!),
  mutation: mutation(),
}));

function describeField(c: { review: CapturedReview; path: Path; mutation: Mutation }): string {
  return `${c.review.file} at /${c.path.join('/')}: ${describeMutation(c.mutation)}`;
}

t.test('fuzz: one field of a captured review replaced, deleted, made huge or deep, or given hostile keys', async (t) => {
  t.pass(await fuzzTarget('webhook fields', 150, (params) => {
    return fc.assert(fc.asyncProperty(fieldCase, async (c) => {
      const body = Buffer.from(mutateToText(c.review.review, c.path, c.mutation));
      await sendAndCheck({ contentType: JSON_TYPE, body }, () => describeField(c));
    }), params);
  }));
  memoryWatch.warmedUp();
});

const contentTypes = fc.constantFrom(
  JSON_TYPE, JSON_TYPE, JSON_TYPE, 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=latin1',
  'application/json; foo=bar', undefined, '', 'text/plain', 'application/xml', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', 'application/octet-stream', 'application/json-patch+json', '*/*',
);
const routes = fc.constantFrom<Pick<WebhookRequest, 'method' | 'url'>>(
  ...Array(12).fill({ method: 'POST', url: '/inject' }),
  { method: 'POST', url: '/inject?timeout=10s' }, { method: 'GET', url: '/inject' }, { method: 'PUT', url: '/inject' },
  { method: 'DELETE', url: '/inject' }, { method: 'OPTIONS', url: '/inject' }, { method: 'PATCH', url: '/inject' },
  { method: 'POST', url: '/Inject' }, { method: 'POST', url: '/inject/' }, { method: 'POST', url: '//inject' },
  { method: 'POST', url: '/%2e%2e/inject' }, { method: 'POST', url: '/' }, { method: 'POST', url: '/metrics' },
);
const rawBody = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom(...reviews), byteDamage()).map(([r, d]) => ({ label: `${r.file} damaged ${JSON.stringify(d)}`, body: damage(Buffer.from(r.text), d) })), weight: 6 },
  { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ label: 'random JSON', body: Buffer.from(JSON.stringify(v) ?? '') })), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((s) => ({ label: 'random text', body: Buffer.from(s) })), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ label: 'random bytes', body: Buffer.from(b) })), weight: 1 },
  {
    arbitrary: fc.constantFrom(...reviews).chain((r) => fc.constantFrom(
      { label: `${r.file} with a BOM`, body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(r.text)]) },
      { label: `${r.file} twice`, body: Buffer.from(r.text + r.text) },
      { label: `${r.file} and garbage`, body: Buffer.from(`${r.text}}]"`) },
      { label: `${r.file} in an array`, body: Buffer.from(`[${r.text}]`) },
      { label: `${r.file} as a JSON string`, body: Buffer.from(JSON.stringify(r.text)) },
    )),
    weight: 2,
  },
  { arbitrary: fc.constantFrom('', ' ', '\n', 'null', 'true', '0', '""', '{}', '[]', '{"kind":', '\u0000').map((s) => ({ label: JSON.stringify(s), body: Buffer.from(s) })), weight: 1 },
);

t.test('fuzz: damaged bytes, other bodies, content types and routes', async (t) => {
  t.pass(await fuzzTarget('webhook bytes', 150, (params) => {
    return fc.assert(fc.asyncProperty(rawBody, contentTypes, routes, fc.boolean(), async (raw, contentType, route, gzip) => {
      const headers = gzip ? { 'content-encoding': 'gzip' } : undefined;
      await sendAndCheck({ ...route, contentType, headers, body: raw.body },
        () => `${route.method} ${route.url} content-type ${JSON.stringify(contentType)}${gzip ? ' gzip' : ''}: ${raw.label}`);
    }), params);
  }));
});

// ---------------------------------------------------------------------------------------
// Isolation: markers in each request; no answer may contain another request's marker.

const podCreates = reviews.filter((r) => r.podCreate);

/** A review carrying `marker` in its uid, name, a label and an annotation (which a denial quotes). */
function markedReview(r: CapturedReview, marker: string, deniedByAnnotation: boolean): Record<string, any> {
  const review = JSON.parse(r.text);
  review.request.uid = `uid-${marker}`;
  const meta = review.request.object.metadata;
  meta.name = `pod-${marker}`;
  meta.labels = { ...meta.labels, marker };
  meta.annotations = { ...meta.annotations, [deniedByAnnotation ? 'sidecar-injector.io/proxy-cpu' : 'example.com/note']: `note-${marker}` };
  return review;
}

const isolationRequest = fc.record({
  review: fc.constantFrom(...podCreates),
  denied: fc.boolean(),
  mutation: fc.option(mutation(), { freq: 3 }),
  /** Where the mutation goes, as a fraction of the review's paths. */
  at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  damaged: fc.option(byteDamage(), { freq: 6 }),
});

t.test('fuzz: concurrent and successive requests never see each other\'s data', async (t) => {
  let serial = 0;
  t.pass(await fuzzTarget('webhook isolation', 40, (params) => {
    return fc.assert(fc.asyncProperty(fc.array(isolationRequest, { minLength: 2, maxLength: 6 }), async (batch) => {
      const requests = batch.map((c) => {
        // Unique per request, and no prefix of another: a counter between fixed letters.
        const marker = `mkq${String(serial++).padStart(7, '0')}zq`;
        const review = markedReview(c.review, marker, c.denied);
        const paths = nodePaths(review);
        const path = paths[Math.floor(c.at * paths.length)];
        const text = c.mutation ? mutateToText(review, path, c.mutation) : JSON.stringify(review);
        let body: Buffer = Buffer.from(text);
        if (c.damaged) body = damage(body, c.damaged);
        return { marker, body, what: `${c.review.file}${c.mutation ? ` at /${path.join('/')}: ${describeMutation(c.mutation)}` : ''}${c.damaged ? ', damaged' : ''}` };
      });
      // Concurrently, then the same again one after another (each following the previous one's failure or success).
      const concurrent = await Promise.all(requests.map((r) => sendAndCheck({ contentType: JSON_TYPE, body: r.body }, () => r.what)));
      const successive: Answer[] = [];
      for (const r of requests) successive.push(await sendAndCheck({ contentType: JSON_TYPE, body: r.body }, () => r.what));
      for (const answers of [concurrent, successive]) {
        answers.forEach((answer, i) => {
          const text = readableText(answer);
          for (const [j, other] of requests.entries()) {
            if (j !== i && text.includes(other.marker)) {
              throw new Error(`answer to request ${i} (${requests[i].what}) carries request ${j}'s marker ${other.marker}`);
            }
          }
        });
      }
    }), params);
  }));
});

t.test('isolation check can see a leak: each injected answer carries its own marker and only its own', async (t) => {
  const r = capturedReview('01-');
  const [a, b] = await Promise.all(['mkaaaaaaaa', 'mkbbbbbbbb'].map((m) => webhook.send({ contentType: JSON_TYPE, body: Buffer.from(JSON.stringify(markedReview(r, m, false))) })));
  const patchA = JSON.stringify(decodePatch(JSON.parse(a.body).response.patch));
  const patchB = JSON.stringify(decodePatch(JSON.parse(b.body).response.patch));
  t.match(patchA, 'mkaaaaaaaa', 'the first patch carries its label marker (in the proxy bootstrap)');
  t.match(patchB, 'mkbbbbbbbb', 'the second patch carries its own');
  t.notMatch(patchA, 'mkbbbbbbbb', 'and not the other');
  t.notMatch(patchB, 'mkaaaaaaaa', 'and not the other');
  const denied = await webhook.send({ contentType: JSON_TYPE, body: Buffer.from(JSON.stringify(markedReview(r, 'mkcccccccc', true))) });
  t.match(JSON.parse(denied.body).response.status.message, 'note-mkcccccccc', 'a denial quotes its own annotation value');
  const next = await webhook.send({ contentType: JSON_TYPE, body: Buffer.from(r.text) });
  t.notMatch(readableText(next), 'mkcccccccc', 'the request after a denial does not see its data');
});

// ---------------------------------------------------------------------------------------
// Fixed edge cases: each named, each checked by the same oracle.

function withObject(r: CapturedReview, change: (object: Record<string, any>) => unknown): string {
  const review = JSON.parse(r.text);
  const result = change(review.request.object);
  if (result !== undefined) review.request.object = result;
  return JSON.stringify(review);
}

t.test('edge cases: nesting, size, absent parts, duplicate names, duplicate keys', async (t) => {
  const r = capturedReview('01-');
  const compact = JSON.stringify(r.review);
  const spliced = (change: (object: Record<string, any>) => unknown, depth: number, shape: 'array' | 'object') =>
    withObject(r, change).replace('"__deep__"', () => deepText(depth, shape));
  const cases: Array<{ name: string; body: string | Buffer; status?: number; denialNames?: string }> = [
    { name: 'arrays nested 10,000 deep as the body', body: deepText(10_000, 'array'), status: 400 },
    { name: 'arrays nested 100,000 deep as the body', body: deepText(100_000, 'array'), status: 400 },
    { name: 'objects nested 100,000 deep as the body', body: deepText(100_000, 'object'), status: 400 },
    // Deeper than 64 levels anywhere: refused before parsing (issue 10, defect 2).
    { name: 'arrays nested 100,000 deep as request.object', body: spliced(() => '__deep__', 100_000, 'array'), status: 400 },
    { name: 'arrays nested 100,000 deep in a label', body: spliced((o) => { o.metadata.labels.deep = '__deep__'; }, 100_000, 'array'), status: 400 },
    { name: 'objects nested 100,000 deep in an annotation', body: spliced((o) => { o.metadata.annotations = { 'sidecar-injector.io/proxy-cpu': '__deep__' }; }, 100_000, 'object'), status: 400 },
    { name: 'arrays nested 55 deep in a label (60 levels in all)', body: spliced((o) => { o.metadata.labels.deep = '__deep__'; }, 55, 'array'), status: 200 },
    { name: 'arrays nested 100,000 deep as the uid', body: compact.replace(`"uid":"${r.review.request.uid}"`, () => `"uid":${deepText(100_000, 'array')}`), status: 400 },
    { name: 'a body one byte over 8 MiB', body: Buffer.alloc(8 * 1024 * 1024 + 1, 0x20), status: 413 },
    { name: 'a valid review padded to 8 MiB + 1', body: Buffer.concat([Buffer.from(r.text), Buffer.alloc(8 * 1024 * 1024 + 1 - r.text.length, 0x20)]), status: 413 },
    // The default body limit is 3 MiB, the apiserver's own.
    { name: 'a 2 MiB annotation', body: withObject(r, (o) => { o.metadata.annotations = { 'example.com/big': 'x'.repeat(2 * 1024 * 1024) }; }), status: 200 },
    { name: 'a 7 MiB annotation', body: withObject(r, (o) => { o.metadata.annotations = { 'example.com/big': 'x'.repeat(7 * 1024 * 1024) }; }), status: 413 },
    { name: '50,000 containers', body: withObject(r, (o) => { o.spec.containers = Array.from({ length: 50_000 }, (_, i) => ({ name: `c${i}`, image: 'app:1' })); }), status: 200 },
    { name: 'no metadata', body: withObject(r, (o) => { delete o.metadata; }), status: 200 },
    { name: 'no spec', body: withObject(r, (o) => { delete o.spec; }), status: 200 },
    { name: 'a null object', body: withObject(r, () => null), status: 200 },
    { name: 'empty object', body: withObject(r, (o) => { Object.keys(o).forEach((k) => delete o[k]); }), status: 200 },
    { name: 'two containers with the same name', body: withObject(r, (o) => { o.spec.containers.push({ ...o.spec.containers[0] }); }), status: 200 },
    // Merge by name (README, "Per-pod settings"): a declaration of an injected container or
    // volume is the pod's override of it, answered like any other pod.
    { name: 'an app container named envoy (merged)', body: withObject(r, (o) => { o.spec.containers[0].name = 'envoy'; }), status: 200 },
    { name: 'an init container named proxy-init (merged)', body: withObject(r, (o) => { o.spec.initContainers = [{ name: 'proxy-init', image: 'x' }]; }), status: 200 },
    { name: 'a volume named envoy-tmp (merged)', body: withObject(r, (o) => { o.spec.volumes = [...(o.spec.volumes ?? []), { name: 'envoy-tmp', emptyDir: {} }]; }), status: 200 },
    { name: 'a volume named envoy-tmp of another kind', body: withObject(r, (o) => { o.spec.volumes = [...(o.spec.volumes ?? []), { name: 'envoy-tmp', hostPath: { path: '/tmp' } }]; }), status: 200, denialNames: 'envoy-tmp' },
    { name: 'the uid twice (the last one counts)', body: compact.replace('"request":{', '"request":{"uid":"first-uid",'), status: 200 },
    { name: '__proto__ escaped as \\u005f', body: compact.replace('"metadata":{', '"metadata":{"\\u005f_proto__":{"polluted":"yes"},'), status: 400 },
    { name: 'an inject annotation that is an object with toString', body: withObject(r, (o) => { o.metadata.annotations = { 'sidecar-injector.io/inject': { toString: 'x' } }; }), status: 200 },
    { name: 'a setting annotation that is an object with toString', body: withObject(r, (o) => { o.metadata.annotations = { 'sidecar-injector.io/proxy-cpu': { toString: 'x' } }; }), status: 200 },
    { name: 'an inject label that is a list of objects', body: withObject(r, (o) => { o.metadata.labels['sidecar.istio.io/inject'] = [{ toString: 1 }]; }), status: 200 },
  ];
  for (const { name, body, status, denialNames } of cases) {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const answer = await webhook.send({ contentType: JSON_TYPE, body: bytes });
    t.same(answerProblems(answer, parseSent(bytes)), [], `${name}: a well-formed answer (${answer.statusCode})`);
    if (status !== undefined) t.equal(answer.statusCode, status, `${name}: status ${status}`);
    if (denialNames !== undefined) t.match(JSON.parse(answer.body).response.status?.message, denialNames, `${name}: denied, naming ${denialNames}`);
  }
});

// ---------------------------------------------------------------------------------------
// Every field of the captured reviews, each replaced by every kind of value.

t.test('sweep: every field of the captured reviews, each replaced by every kind of value', async (t) => {
  // npm test sweeps the smallest pod create down to the pod's own fields (request.object.spec.x),
  // not inside managedFields (which nothing reads); the long mode every path of every capture.
  const swept = LONG_MODE ? reviews : [capturedReview('01-')];
  const sweptPaths = (file: string) => pathsByFile.get(file)!
    .filter((p) => LONG_MODE || (p.length <= 4 && (!p.includes('managedFields') || p[p.length - 1] === 'managedFields')));
  let sent = 0;
  const failures: string[] = [];
  for (const r of swept) {
    for (const path of sweptPaths(r.file)) {
      for (const m of SWEEP_MUTATIONS) {
        const body = Buffer.from(mutateToText(r.review, path, m));
        await sendAndCheck({ contentType: JSON_TYPE, body }, () => describeField({ review: r, path, mutation: m }))
          .catch((err: Error) => failures.push(err.message));
        sent++;
      }
    }
  }
  recordFigures('webhook sweep', sent, failures.length);
  t.same(failures, [], `${sent} requests over ${swept.length} captured review(s), every one answered well`);
});

t.test('after the run: prototypes untouched, namespace views unchanged, logging alive, heap bounded', async (t) => {
  assertPrototypesUntouched(t, prototypesBefore);
  t.same(webhook.namespaceViewChanges(), [], 'the shared namespace views were never modified');
  const linesBefore = webhook.logLines();
  const ok = await webhook.send({ contentType: JSON_TYPE, body: Buffer.from(capturedReview('01-').text) });
  t.equal(ok.statusCode, 200, 'a normal review is still answered');
  t.ok(webhook.logLines() > linesBefore, 'and logged');
  assertHeapBounded(t, memoryWatch, 'test/fuzz/webhook.test.ts');
});
