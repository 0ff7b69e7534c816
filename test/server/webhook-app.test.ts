// The webhook app through fastify's inject(): every status code, both review versions,
// every captured review (fake engine), warnings, denials, dry-run, failures, metrics, logs.
import t from 'tap';
import { buildApp } from '../../src/server/webhook-app.js';
import { createMetrics, type Metrics } from '../../src/server/metrics.js';
import { Readiness } from '../../src/server/readiness.js';
import type { PodEvaluator } from '../../src/admission/admit.js';
import { captureLogs, enabledNamespaces, FAKE_SNAPSHOT, fixture, fixtures, LABEL_PATCH, outcome } from './support/harness.js';

const JSON_TYPE = { 'content-type': 'application/json' };

function setup(evaluate: PodEvaluator = () => outcome({ inject: true, reason: 'namespace-enabled', patch: LABEL_PATCH }), over: { maxBodyBytes?: number; readiness?: Readiness } = {}) {
  const logs = captureLogs();
  const metrics = createMetrics({ processMetrics: false });
  const app = buildApp({ logger: logs.logger, metrics, snapshot: () => FAKE_SNAPSHOT, namespaces: enabledNamespaces(), evaluate, ...over });
  return { app, logs, metrics };
}

async function counter(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return value?.value ?? NaN;
}

function decodePatch(body: any): unknown {
  return JSON.parse(Buffer.from(body.response.patch, 'base64').toString('utf8'));
}

t.test('every captured review: uid echoed, version kept, pod creates patched, the rest untouched', async (t) => {
  const calls: string[] = [];
  const { app } = setup((pod: any) => { calls.push(pod.metadata.name ?? pod.metadata.generateName); return outcome({ inject: true, reason: 'namespace-enabled', patch: LABEL_PATCH }); });
  for (const f of fixtures()) {
    const res = await app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: f.text });
    t.equal(res.statusCode, 200, `${f.file} status`);
    const body = res.json();
    t.equal(body.apiVersion, f.review.apiVersion, `${f.file} answers in the request's version`);
    t.equal(body.kind, 'AdmissionReview');
    t.equal(body.response.uid, f.review.request.uid, `${f.file} echoes uid`);
    t.equal(body.response.allowed, true, `${f.file} allowed`);
    const podCreate = f.review.request.kind.kind === 'Pod' && f.review.request.operation === 'CREATE';
    if (podCreate) {
      t.equal(body.response.patchType, 'JSONPatch', `${f.file} patchType`);
      t.same(decodePatch(body), LABEL_PATCH, `${f.file} patch`);
    } else {
      t.same(body.response, { uid: f.review.request.uid, allowed: true }, `${f.file} untouched`);
    }
  }
  t.equal(calls.length, 8, 'the engine ran for the 8 pod creates only');
  t.ok(fixtures().some((f) => f.review.apiVersion === 'admission.k8s.io/v1beta1'), 'a v1beta1 review is among them');
});

t.test('warnings and denials reach the response', async (t) => {
  const warned = setup(() => outcome({ reason: 'not-opted-in', warnings: ['sidecar-injector.io/inject: "yes" is not true or false'] }));
  const body = (await warned.app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: fixture('01-').text })).json();
  t.same(body.response, { uid: fixture('01-').review.request.uid, allowed: true, warnings: ['sidecar-injector.io/inject: "yes" is not true or false'] });

  const denied = setup(() => outcome({ inject: true, reason: 'namespace-enabled', denial: 'sidecar-injector.io/proxy-cpu: "lots" is not a quantity', warnings: ['w'] }));
  const res = await denied.app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: fixture('03-').text });
  t.equal(res.statusCode, 200);
  t.same(res.json().response, {
    uid: fixture('03-').review.request.uid, allowed: false, warnings: ['w'],
    status: { code: 400, reason: 'BadRequest', message: 'sidecar-injector.io/proxy-cpu: "lots" is not a quantity' },
  });
  t.equal(await counter(denied.metrics, 'sidecar_injector_requests_total', { result: 'denied' }), 1);
});

t.test('an exception while handling a pod answers allowed:false with the reason, not a 500', async (t) => {
  const { app, metrics, logs } = setup(() => { throw new Error('template exploded'); });
  const res = await app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: fixture('01-').text });
  t.equal(res.statusCode, 200);
  const response = res.json().response;
  t.equal(response.allowed, false);
  t.equal(response.status.code, 500);
  t.match(response.status.message, /template exploded/);
  t.equal(await counter(metrics, 'sidecar_injector_requests_total', { result: 'error' }), 1);
  t.equal(logs.lines.find((l) => l.msg === 'admission')?.level, 'error');
});

t.test('dry-run is handled exactly like a real request', async (t) => {
  const seen: unknown[] = [];
  const { app, logs } = setup((pod, ns, snap, req) => { seen.push({ ns, req }); return outcome({ inject: true, reason: 'namespace-enabled', patch: LABEL_PATCH }); });
  const real = fixture('01-').review;
  const dry = structuredClone(real);
  dry.request.dryRun = true;
  dry.request.uid = 'dry-uid';
  const a = (await app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: real as object })).json();
  const b = (await app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: dry as object })).json();
  t.same({ ...b.response, uid: real.request.uid }, a.response, 'same answer');
  t.same(seen[0], seen[1], 'same engine input');
  t.same(logs.lines.filter((l) => l.msg === 'admission').map((l) => l.dryRun), [false, true], 'the log says which was a dry run');
});

t.test('bad requests: one JSON error shape naming what was wrong', async (t) => {
  const { app, metrics } = setup();
  const cases: Array<[string, Record<string, string>, string, number, string, string?]> = [
    ['text/plain', { 'content-type': 'text/plain' }, 'hello', 415, 'unsupported-media-type'],
    ['no content type', {}, '{}', 415, 'unsupported-media-type'],
    ['xml', { 'content-type': 'application/xml' }, '<a/>', 415, 'unsupported-media-type'],
    ['empty body', JSON_TYPE, '', 400, 'invalid-json'],
    ['broken JSON', JSON_TYPE, '{"kind":', 400, 'invalid-json'],
    ['prototype poisoning', JSON_TYPE, '{"__proto__":{"x":1}}', 400, 'invalid-json'],
    ['not an object', JSON_TYPE, '[1,2]', 400, 'invalid-review', '(body)'],
    ['not a review', JSON_TYPE, '{"kind":"Pod","apiVersion":"v1"}', 400, 'invalid-review', 'kind'],
    ['unknown version', JSON_TYPE, '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v2","request":{"uid":"u"}}', 400, 'invalid-review', 'apiVersion'],
    ['no uid', JSON_TYPE, '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"kind":{"kind":"Pod"},"operation":"CREATE"}}', 400, 'invalid-review', 'request.uid'],
  ];
  for (const [name, headers, payload, status, code, field] of cases) {
    const res = await app.inject({ method: 'POST', url: '/inject', headers, payload });
    t.equal(res.statusCode, status, `${name}: status`);
    t.match(res.headers['content-type'], /^application\/json/, `${name}: JSON body`);
    const body = res.json();
    t.equal(body.error.code, code, `${name}: code`);
    t.type(body.error.message, 'string', `${name}: message`);
    if (status === 415) {
      t.same(body.error.accepted, ['application/json'], `${name}: names what is accepted`);
      t.match(body.error.message, 'application/json');
    }
    if (field) {
      t.equal(body.error.field, field, `${name}: names the field`);
      t.match(body.error.message, field === '(body)' ? 'AdmissionReview' : field);
    }
  }
  t.equal(await counter(metrics, 'sidecar_injector_requests_total', { result: 'error' }), cases.length, 'each counts as an error');
  const missing = await app.inject({ method: 'GET', url: '/nope' });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().error.code, 'not-found');
  const wrongMethod = await app.inject({ method: 'GET', url: '/inject' });
  t.equal(wrongMethod.statusCode, 404);
  const charset = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: fixture('01-').text });
  t.equal(charset.statusCode, 200, 'a charset parameter is fine');
});

t.test('body limit: 3 MiB by default (above fastify\'s 1 MiB, the apiserver\'s own limit), configurable, 413 past it', async (t) => {
  const { app } = setup();
  // A real review padded to 2 MiB with a long annotation: over fastify's default, under ours.
  const big = structuredClone(fixture('01-').review);
  big.request.object.metadata.annotations = { pad: 'x'.repeat(2 * 1024 * 1024) };
  const ok = await app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: JSON.stringify(big) });
  t.equal(ok.statusCode, 200);
  t.equal(ok.json().response.uid, big.request.uid);

  const tooBig = await app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: Buffer.alloc(3 * 1024 * 1024 + 1, 0x20) });
  t.equal(tooBig.statusCode, 413);
  t.equal(tooBig.json().error.code, 'body-too-large');
  t.match(tooBig.json().error.message, '3145728');

  const small = setup(undefined, { maxBodyBytes: 2048 });
  const res = await small.app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: fixture('01-').text });
  t.equal(res.statusCode, 413);
  t.match(res.json().error.message, '2048 bytes');
});

t.test('metrics: results, skip reasons and the duration histogram', async (t) => {
  let mode: 'inject' | 'skip' = 'inject';
  const { app, metrics } = setup(() => mode === 'inject'
    ? outcome({ inject: true, reason: 'namespace-enabled', patch: LABEL_PATCH })
    : outcome({ reason: 'pod-opted-out' }));
  const send = (prefix: string) => app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: fixture(prefix).text });
  await send('01-');
  await send('03-');
  mode = 'skip';
  await send('04-');
  await send('09-');
  await send('10-');
  await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'text/plain' }, payload: 'x' });
  t.equal(await counter(metrics, 'sidecar_injector_requests_total', { result: 'injected' }), 2);
  t.equal(await counter(metrics, 'sidecar_injector_requests_total', { result: 'skipped' }), 3);
  t.equal(await counter(metrics, 'sidecar_injector_requests_total', { result: 'error' }), 1);
  t.equal(await counter(metrics, 'sidecar_injector_requests_total', { result: 'denied' }), 0, 'zero series exist');
  t.equal(await counter(metrics, 'sidecar_injector_skipped_total', { reason: 'pod-opted-out' }), 1);
  t.equal(await counter(metrics, 'sidecar_injector_skipped_total', { reason: 'not-a-pod-create' }), 2);
  t.equal(await counter(metrics, 'sidecar_injector_skipped_total', { reason: 'host-network' }), 0);
  const text = await metrics.registry.metrics();
  t.match(text, /sidecar_injector_request_duration_seconds_count 6\n/, 'every answer, errors included, is timed');
  const below5ms = [...text.matchAll(/sidecar_injector_request_duration_seconds_bucket\{le="([0-9.]+)"\}/g)].map((m) => Number(m[1])).filter((le) => le < 0.005);
  t.ok(below5ms.length >= 5, `at least 5 buckets below 5 ms (${below5ms.join(', ')})`);
});

t.test('logs: one line per admission with the facts, never the review', async (t) => {
  const { app, logs } = setup((pod: any) => pod.metadata.annotations?.['sidecar-injector.io/inject'] === 'false'
    ? outcome({ reason: 'pod-opted-out' })
    : outcome({ inject: true, reason: 'namespace-enabled', patch: LABEL_PATCH }));
  for (const f of fixtures()) await app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: f.text });
  await app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"object":{"spec":{"containers":[{"image":"secret-image:1"}]}}}}' });
  const lines = logs.lines.filter((l) => l.msg === 'admission');
  t.equal(lines.length, fixtures().length, 'one line per admission');
  const checkout = lines.find((l) => l.uid === fixture('03-').review.request.uid)!;
  t.match(checkout, { namespace: 'shop', pod: 'checkout-57c78896fb-', owner: 'ReplicaSet', decision: 'injected', reason: 'namespace-enabled', dryRun: false, kind: 'Pod', operation: 'CREATE' });
  t.type(checkout.durationMs, 'number');
  const nightly = lines.find((l) => l.uid === fixture('04-').review.request.uid)!;
  t.match(nightly, { pod: 'nightly-report-', owner: 'Job', decision: 'skipped', reason: 'pod-opted-out' });
  t.match(lines.find((l) => l.uid === fixture('02-').review.request.uid), { dryRun: true, pod: 'nginx-dry' });
  t.match(lines.find((l) => l.uid === fixture('10-').review.request.uid), { kind: 'Deployment', decision: 'skipped', reason: 'not-a-pod-create' });
  t.ok(new Set(logs.lines.map((l) => l.reqId)).size >= lines.length, 'each request logs through its own child logger');
  const text = logs.text();
  for (const needle of ['FEATURE_FLAG_0001', 'nginx:1.27', 'managedFields', 'secret-image', 'prometheus.io/scrape']) {
    t.notMatch(text, needle, `the logs do not contain ${needle}`);
  }
});

t.test('while shutting down every response asks for the connection to close', async (t) => {
  const readiness = new Readiness([]);
  const { app } = setup(undefined, { readiness });
  const before = await app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: fixture('01-').text });
  t.not(before.headers.connection, 'close');
  readiness.beginShutdown();
  const after = await app.inject({ method: 'POST', url: '/inject', headers: JSON_TYPE, payload: fixture('01-').text });
  t.equal(after.statusCode, 200, 'still served');
  t.equal(after.headers.connection, 'close');
});

t.test('POST /inject/...: the same route, the path\'s env reaching the engine (istio profile); its errors counted', async (t) => {
  const logs = captureLogs();
  const metrics = createMetrics({ processMetrics: false });
  const seen: unknown[] = [];
  const snapshot = { ...FAKE_SNAPSHOT, meshConfig: {} } as unknown as typeof FAKE_SNAPSHOT;
  const app = buildApp({
    logger: logs.logger, metrics, snapshot: () => snapshot, namespaces: enabledNamespaces(),
    evaluate: (_pod, _ns, _snap, request) => { seen.push({ ...request.proxyEnv }); return outcome({ inject: true, reason: 'namespace-enabled', patch: LABEL_PATCH }); },
  });
  const res = await app.inject({ method: 'POST', url: '/inject/cluster/c2/net/n2?timeout=10s', headers: JSON_TYPE, payload: fixture('01-').text });
  t.equal(res.statusCode, 200);
  t.same(decodePatch(res.json()), LABEL_PATCH);
  t.same(seen, [{ ISTIO_META_CLUSTER_ID: 'c2', ISTIO_META_NETWORK: 'n2' }]);
  const plainRes = await app.inject({ method: 'POST', url: '/inject?timeout=10s', headers: JSON_TYPE, payload: fixture('01-').text });
  t.equal(plainRes.statusCode, 200);
  t.same(seen[1], {}, '/inject alone: no env');
  const errors = await counter(metrics, 'sidecar_injector_requests_total', { result: 'error' });
  const broken = await app.inject({ method: 'POST', url: '/inject/cluster/c2', headers: JSON_TYPE, payload: '{' });
  t.equal(broken.statusCode, 400);
  t.equal(await counter(metrics, 'sidecar_injector_requests_total', { result: 'error' }), (Number.isNaN(errors) ? 0 : errors) + 1, 'an error there is an admission error too');
  t.equal((await app.inject({ method: 'POST', url: '/injected', headers: JSON_TYPE, payload: fixture('01-').text })).statusCode, 404, 'only /inject and below');
});
