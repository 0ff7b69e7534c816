// Every captured AdmissionReview through the webhook app with the real engine and the
// built-in configuration (namespace `shop` labelled sidecar-injection=enabled, as when
// they were captured): decision, uid echo, version, and a patch that applies.
import t from 'tap';
import fjp from 'fast-json-patch';
import { buildApp } from '../../src/server/webhook-app.js';
import { createMetrics } from '../../src/server/metrics.js';
import { evaluatePod } from '../../src/injection/engine.js';
import { STATUS_ANNOTATION } from '../../src/injection/status.js';
import { snapshotWith } from '../support/config.js';
import { captureLogs, enabledNamespaces, fixtures } from './support/harness.js';

const snapshot = snapshotWith();
const expected: Record<string, { decision: 'injected' | 'skipped'; reason: string }> = {
  '01-v1-nginx.json': { decision: 'injected', reason: 'namespace-enabled' },
  '02-v1-nginx-dry-dryrun.json': { decision: 'injected', reason: 'namespace-enabled' },
  '03-v1-checkout-57c78896fb.json': { decision: 'injected', reason: 'namespace-enabled' },
  '04-v1-nightly-report.json': { decision: 'skipped', reason: 'pod-opted-out' },
  '05-v1-ledger-0.json': { decision: 'injected', reason: 'namespace-enabled' },
  '06-v1-edge-agent.json': { decision: 'skipped', reason: 'host-network' },
  '07-v1beta1-legacy-client.json': { decision: 'injected', reason: 'namespace-enabled' },
  '08-v1-big-env.json': { decision: 'injected', reason: 'namespace-enabled' },
  '09-v1-nginx-update.json': { decision: 'skipped', reason: 'not-a-pod-create' },
  '10-v1-deployment-frontend.json': { decision: 'skipped', reason: 'not-a-pod-create' },
};

t.test('captured reviews with the real engine', async (t) => {
  const logs = captureLogs();
  const app = buildApp({ logger: logs.logger, metrics: createMetrics({ processMetrics: false }), snapshot: () => snapshot, namespaces: enabledNamespaces(), evaluate: evaluatePod });
  const all = fixtures();
  t.same(all.map((f) => f.file).sort(), Object.keys(expected).sort(), 'every fixture file has an expectation');
  for (const f of all) {
    const want = expected[f.file];
    const res = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: f.text });
    t.equal(res.statusCode, 200, `${f.file}: 200`);
    const body = res.json();
    t.equal(body.apiVersion, f.review.apiVersion, `${f.file}: answered in ${f.review.apiVersion}`);
    t.equal(body.response.uid, f.review.request.uid, `${f.file}: uid echoed`);
    t.equal(body.response.allowed, true, `${f.file}: allowed`);
    const line = logs.lines.find((l) => l.msg === 'admission' && l.uid === f.review.request.uid);
    t.match(line, { decision: want.decision, reason: want.reason }, `${f.file}: ${want.decision} (${want.reason})`);
    if (want.decision === 'skipped') {
      t.equal(body.response.patch, undefined, `${f.file}: no patch`);
      continue;
    }
    t.equal(body.response.patchType, 'JSONPatch');
    const patch = JSON.parse(Buffer.from(body.response.patch, 'base64').toString('utf8'));
    t.ok(patch.every((op: { op: string }) => op.op === 'add'), `${f.file}: add operations only`);
    const pod = structuredClone(f.review.request.object);
    t.equal(fjp.validate(patch, pod), undefined, `${f.file}: the patch validates against the pod`);
    const injected = fjp.applyPatch(pod, patch, true, false).newDocument;
    t.ok(injected.metadata.annotations[STATUS_ANNOTATION], `${f.file}: status annotation written`);
    const names = injected.spec.containers.map((c: { name: string }) => c.name);
    t.ok(names.length > f.review.request.object.spec.containers.length, `${f.file}: a container was added (${names.join(', ')})`);
    for (const original of f.review.request.object.spec.containers) {
      t.ok(names.includes(original.name), `${f.file}: ${original.name} kept`);
    }
  }
});

t.test('an injected pod sent again is left as it is (already-injected)', async (t) => {
  const logs = captureLogs();
  const app = buildApp({ logger: logs.logger, metrics: createMetrics({ processMetrics: false }), snapshot: () => snapshot, namespaces: enabledNamespaces(), evaluate: evaluatePod });
  const f = fixtures().find((x) => x.file.startsWith('01-'))!;
  const first = (await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: f.text })).json();
  const review = structuredClone(f.review);
  review.request.object = fjp.applyPatch(review.request.object, JSON.parse(Buffer.from(first.response.patch, 'base64').toString('utf8')), true, false).newDocument;
  review.request.uid = 'second-pass';
  const second = (await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: review as object })).json();
  t.same(second.response, { uid: 'second-pass', allowed: true });
  t.match(logs.lines.find((l) => l.uid === 'second-pass'), { decision: 'skipped', reason: 'already-injected' });
});

t.test('an invalid annotation is denied with the engine message', async (t) => {
  const logs = captureLogs();
  const app = buildApp({ logger: logs.logger, metrics: createMetrics({ processMetrics: false }), snapshot: () => snapshot, namespaces: enabledNamespaces(), evaluate: evaluatePod });
  const review = structuredClone(fixtures().find((x) => x.file.startsWith('01-'))!.review);
  review.request.object.metadata.annotations = { 'sidecar-injector.io/proxy-cpu': 'lots' };
  const body = (await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: review as object })).json();
  t.equal(body.response.allowed, false);
  t.equal(body.response.status.code, 400);
  t.match(body.response.status.message, /proxy-cpu/);
  t.match(body.response.status.message, /lots/);
});

t.test('an invalid inject value is a warning, not a denial', async (t) => {
  const app = buildApp({ logger: captureLogs().logger, metrics: createMetrics({ processMetrics: false }), snapshot: () => snapshot, namespaces: enabledNamespaces(), evaluate: evaluatePod });
  const review = structuredClone(fixtures().find((x) => x.file.startsWith('01-'))!.review);
  review.request.object.metadata.annotations = { 'sidecar-injector.io/inject': 'yes' };
  const body = (await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: review as object })).json();
  t.equal(body.response.allowed, true);
  t.ok(body.response.warnings?.some((w: string) => w.includes('sidecar-injector.io/inject') && w.includes('yes')), `warnings: ${JSON.stringify(body.response.warnings)}`);
});
