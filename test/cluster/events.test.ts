// Admission Events: which Event an admission gets and on which object, none for dry runs,
// and aggregation: many admissions of one owner and reason make one Event whose count is
// patched; a bounded number of keys; failed writes are retried, an expired Event recreated.
import t from 'tap';
import type { Admission } from '../../src/admission/admit.js';
import type { AdmissionRequest } from '../../src/admission/review.js';
import { admissionEvents, EventRecorder, eventFor, type EventSink, type PendingEvent } from '../../src/cluster/events.js';

class FakeSink implements EventSink {
  created: Array<Record<string, any>> = [];
  patched: Array<{ namespace: string; name: string; body: Record<string, any> }> = [];
  failNext: unknown;
  async create(event: Record<string, unknown>): Promise<void> {
    if (this.failNext) { const err = this.failNext; this.failNext = undefined; throw err; }
    this.created.push(event);
  }
  async patch(namespace: string, name: string, body: Record<string, unknown>): Promise<void> {
    if (this.failNext) { const err = this.failNext; this.failNext = undefined; throw err; }
    this.patched.push({ namespace, name, body });
  }
}

const rsOwner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d4f', uid: 'u1', controller: true };
const request = (over: Partial<AdmissionRequest> = {}, metadata: object = { generateName: 'web-5d4f-', ownerReferences: [rsOwner] }): AdmissionRequest => ({
  uid: 'x', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, operation: 'CREATE', namespace: 'shop',
  object: { metadata, spec: { containers: [] } }, dryRun: false, ...over,
} as AdmissionRequest);
const admission = (result: Admission['result'], reason: string, message?: string): Admission =>
  ({ verdict: { allowed: true }, result, reason, namespace: 'shop', pod: {}, ...(message ? { message } : {}) } as Admission);

t.test('eventFor', async (t) => {
  const injected = eventFor(request(), admission('injected', 'namespace-enabled'))!;
  t.same(injected.target, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d4f', namespace: 'shop', uid: 'u1' }, "a generated pod's Event goes on its owner");
  t.equal(injected.reason, 'Injected');
  t.equal(injected.type, 'Normal');
  const skipped = eventFor(request(), admission('skipped', 'pod-opted-out'))!;
  t.equal(skipped.reason, 'InjectionSkipped');
  t.match(skipped.message, /pod-opted-out/, 'with the reason code');
  const denied = eventFor(request({}, { name: 'web' }), admission('denied', 'pod-opted-in', 'invalid annotation sidecar-injector.io/proxy-cpu'))!;
  t.equal(denied.reason, 'InjectionDenied');
  t.equal(denied.type, 'Warning');
  t.match(denied.message, /invalid annotation sidecar-injector\.io\/proxy-cpu/, 'with the message');
  t.same(denied.target, { apiVersion: 'v1', kind: 'Namespace', name: 'shop', namespace: 'shop' }, 'a named pod: on its namespace');
  t.same(eventFor(request({}, { generateName: 'x-' }), admission('injected', 'pod-opted-in'))!.target.kind, 'Namespace', 'generateName without owner: the namespace');
  t.equal(eventFor(request({ dryRun: true }), admission('injected', 'namespace-enabled')), undefined, 'none for a dry run');
  t.equal(eventFor(request(), admission('skipped', 'already-injected')), undefined, 'none for a reinvocation');
  t.equal(eventFor(request(), admission('skipped', 'not-a-pod-create')), undefined, 'none for other requests');
});

t.test('a 1,000-replica rollout makes one Event, its count patched', async (t) => {
  const sink = new FakeSink();
  let now = new Date('2026-12-06T05:00:00Z');
  const recorder = new EventRecorder({ sink, flushIntervalMs: 3_600_000, now: () => now });
  t.teardown(() => recorder.close());
  const observe = admissionEvents(recorder);
  for (let i = 0; i < 600; i += 1) observe(request(), admission('injected', 'namespace-enabled'));
  await recorder.flush();
  t.equal(sink.created.length, 1, 'one Event created');
  t.equal(sink.created[0].count, 600);
  t.same(sink.created[0].involvedObject, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d4f', namespace: 'shop', uid: 'u1' });
  t.equal(sink.created[0].metadata.namespace, 'shop');
  now = new Date('2026-12-06T05:00:10Z');
  for (let i = 0; i < 400; i += 1) observe(request(), admission('injected', 'namespace-enabled'));
  await recorder.flush();
  t.equal(sink.created.length, 1, 'no second Event');
  t.same(sink.patched.map((p) => [p.name, p.body.count, p.body.lastTimestamp]), [[sink.created[0].metadata.name, 1000, '2026-12-06T05:00:10Z']], 'its count patched to 1000');
  await recorder.flush();
  t.equal(sink.patched.length, 1, 'nothing written when nothing happened');
});

t.test('bounds, retries and expiry', async (t) => {
  const sink = new FakeSink();
  let now = new Date('2026-12-06T05:00:00Z');
  const recorder = new EventRecorder({ sink, flushIntervalMs: 3_600_000, maxKeys: 3, maxWritesPerFlush: 2, idleMs: 60_000, now: () => now });
  t.teardown(() => recorder.close());
  const ev = (name: string): PendingEvent => ({ target: { apiVersion: 'v1', kind: 'Namespace', name, namespace: name }, type: 'Normal', reason: 'Injected', message: 'm' });
  for (const n of ['a', 'b', 'c', 'd', 'e']) recorder.record(ev(n));
  t.equal(recorder.size, 3, 'keys beyond maxKeys are dropped');
  await recorder.flush();
  t.equal(sink.created.length, 2, 'at most maxWritesPerFlush writes per flush');
  await recorder.flush();
  t.equal(sink.created.length, 3, 'the rest on the next flush');

  sink.failNext = Object.assign(new Error('boom'), { code: 500 });
  recorder.record(ev('a'));
  await recorder.flush();
  t.equal(sink.patched.length, 0, 'a failed write');
  await recorder.flush();
  t.same(sink.patched.map((p) => p.body.count), [2], 'is retried on the next flush');

  sink.failNext = Object.assign(new Error('gone'), { code: 404 });
  recorder.record(ev('a'));
  await recorder.flush();
  t.equal(sink.created.length, 4, 'an expired Event is created again');
  t.equal(sink.created[3].count, 3);

  now = new Date('2026-12-06T05:10:00Z');
  await recorder.flush();
  t.equal(recorder.size, 0, 'idle keys are forgotten');
});

t.test('serve --events', async (t) => {
  const { loadServeSettings } = await import('../../src/cli/serve-flags.js');
  const { UsageError } = await import('../../src/cli/command.js');
  const events = (argv: string[]) => {
    const parsed = loadServeSettings(['--standalone', ...argv]);
    return parsed.help ? undefined : parsed.settings.events;
  };
  t.equal(events([]), true, 'on by default');
  t.equal(events(['--events=false']), false);
  t.equal(events(['--events', 'true']), true);
  t.throws(() => events(['--events=no']), UsageError, 'anything else is refused');
});

t.test('the webhook route tells onAdmission of every admission, after the answer is computed', async (t) => {
  const { buildApp } = await import('../../src/server/webhook-app.js');
  const { createMetrics } = await import('../../src/server/metrics.js');
  const { captureLogs, enabledNamespaces, FAKE_SNAPSHOT, fixture, LABEL_PATCH, outcome } = await import('../server/support/harness.js');
  const sink = new FakeSink();
  const recorder = new EventRecorder({ sink, flushIntervalMs: 3_600_000 });
  t.teardown(() => recorder.close());
  const seen: Array<{ dryRun: boolean; result: string }> = [];
  const observe = admissionEvents(recorder);
  const app = buildApp({
    logger: captureLogs().logger, metrics: createMetrics({ processMetrics: false }), snapshot: () => FAKE_SNAPSHOT, namespaces: enabledNamespaces(),
    evaluate: () => outcome({ inject: true, reason: 'namespace-enabled', patch: LABEL_PATCH }),
    onAdmission: (request, admission) => { seen.push({ dryRun: request.dryRun, result: admission.result }); observe(request, admission); },
  });
  t.teardown(() => app.close());
  const review = fixture('01-v1-nginx.json').review;
  for (const dryRun of [false, true]) {
    const res = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: { ...review, request: { ...review.request, dryRun } } });
    t.equal(res.statusCode, 200);
  }
  t.same(seen, [{ dryRun: false, result: 'injected' }, { dryRun: true, result: 'injected' }], 'both admissions reported');
  await recorder.flush();
  t.same(sink.created.map((e) => e.reason), ['Injected'], 'one Event: none for the dry run');
});
