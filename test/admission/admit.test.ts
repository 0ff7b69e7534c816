// One admission with fake engine, config and namespaces: every path to a verdict, and
// that no failure escapes as an exception.
import t from 'tap';
import { admit, summarizePod, verdictFromOutcome, type AdmitDeps, type PodEvaluator } from '../../src/admission/admit.js';
import { decodeReview, type AdmissionRequest } from '../../src/admission/review.js';
import { enabledNamespaces, FAKE_SNAPSHOT, fixture, LABEL_PATCH, outcome } from '../server/support/harness.js';

function requestOf(prefix: string): AdmissionRequest {
  return decodeReview(structuredClone(fixture(prefix).review)).request;
}

function deps(evaluate: PodEvaluator, over: Partial<AdmitDeps> = {}): AdmitDeps {
  return { snapshot: () => FAKE_SNAPSHOT, namespaces: enabledNamespaces(), evaluate, ...over };
}

const injects: PodEvaluator = () => outcome({ inject: true, reason: 'namespace-enabled', patch: LABEL_PATCH, warnings: ['w1'] });
const mustNotRun: PodEvaluator = () => { throw new Error('engine must not run'); };

t.test('an injection: patch, warnings, namespace from request.namespace', async (t) => {
  const calls: string[] = [];
  let seen: Parameters<PodEvaluator> | undefined;
  const req = requestOf('01-');
  const result = await admit(req, deps((...args) => { seen = args; return injects(...args); }, { namespaces: enabledNamespaces(calls) }));
  t.equal(result.result, 'injected');
  t.equal(result.reason, 'namespace-enabled');
  t.same(result.verdict, { allowed: true, patch: LABEL_PATCH, warnings: ['w1'] });
  t.same(calls, ['shop'], 'the namespace comes from request.namespace (the object has none)');
  t.equal(req.object && (req.object as any).metadata.namespace, undefined);
  t.equal(seen?.[0], req.object, 'the engine gets the object itself');
  t.equal(seen?.[1].name, 'shop');
  t.equal(seen?.[2], FAKE_SNAPSHOT);
  t.same(seen?.[3], { kind: 'Pod', operation: 'CREATE' });
  t.same(result.pod, { name: 'nginx', ownerKind: undefined });
});

t.test('not a Pod CREATE: allowed untouched, engine and namespace lookup not used', async (t) => {
  for (const prefix of ['09-', '10-']) {
    const calls: string[] = [];
    const result = await admit(requestOf(prefix), deps(mustNotRun, { namespaces: enabledNamespaces(calls) }));
    t.equal(result.result, 'skipped', prefix);
    t.equal(result.reason, 'not-a-pod-create', prefix);
    t.same(result.verdict, { allowed: true, warnings: [] }, prefix);
    t.same(calls, [], prefix);
  }
  const sub = await admit({ ...requestOf('01-'), subResource: 'status' }, deps(mustNotRun));
  t.equal(sub.reason, 'not-a-pod-create');
});

t.test('skip and denial keep the engine warnings', async (t) => {
  const skip = await admit(requestOf('04-'), deps(() => outcome({ reason: 'pod-opted-out', warnings: ['odd'] })));
  t.equal(skip.result, 'skipped');
  t.equal(skip.reason, 'pod-opted-out');
  t.same(skip.verdict, { allowed: true, warnings: ['odd'] });
  t.same(skip.pod, { name: 'nightly-report-', ownerKind: 'Job' });

  const denial = await admit(requestOf('03-'), deps(() => outcome({ inject: true, reason: 'namespace-enabled', denial: 'bad cpu', warnings: ['w'] })));
  t.equal(denial.result, 'denied');
  t.equal(denial.message, 'bad cpu');
  t.same(denial.verdict, { allowed: false, warnings: ['w'], status: { code: 400, reason: 'BadRequest', message: 'bad cpu' } });
});

t.test('failures become allowed:false with the reason, never an exception', async (t) => {
  const engineThrows = await admit(requestOf('01-'), deps(() => { throw new TypeError('boom in render'); }));
  t.equal(engineThrows.result, 'error');
  t.equal(engineThrows.reason, 'internal-error');
  t.equal(engineThrows.verdict.allowed, false);
  t.equal(engineThrows.verdict.status?.code, 500);
  t.match(engineThrows.verdict.status?.message, /boom in render/);

  const lookupFails = await admit(requestOf('01-'), deps(injects, { namespaces: { get: async () => { throw new Error('apiserver unreachable'); } } }));
  t.equal(lookupFails.result, 'error');
  t.match(lookupFails.verdict.status?.message, /namespace "shop".*apiserver unreachable/);

  const noConfig = await admit(requestOf('01-'), deps(mustNotRun, { snapshot: () => undefined }));
  t.equal(noConfig.reason, 'config-not-loaded');
  t.equal(noConfig.verdict.status?.code, 503);

  const notAnObject = await admit({ ...requestOf('01-'), object: 'pod' }, deps(mustNotRun));
  t.equal(notAnObject.reason, 'invalid-request');
  t.match(notAnObject.verdict.status?.message, /request\.object/);

  const noNamespace = await admit({ ...requestOf('01-'), namespace: undefined }, deps(mustNotRun));
  t.equal(noNamespace.reason, 'invalid-request');
  t.match(noNamespace.verdict.status?.message, /request\.namespace/);

  const thrownString = await admit(requestOf('01-'), deps(() => { throw 'plain string'; }));
  t.match(thrownString.verdict.status?.message, /plain string/);
});

t.test('the object namespace is used when the request has none', async (t) => {
  const calls: string[] = [];
  const req = requestOf('05-'); // ledger-0's object carries namespace "shop"
  await admit({ ...req, namespace: undefined }, deps(injects, { namespaces: enabledNamespaces(calls) }));
  t.same(calls, ['shop']);
});

t.test('summarizePod: name, else generateName; controller owner first', async (t) => {
  t.same(summarizePod(undefined), {});
  t.same(summarizePod({ metadata: { generateName: 'web-' } }), { name: 'web-', ownerKind: undefined });
  t.same(summarizePod({ metadata: { name: 'a', generateName: 'web-' } }).name, 'a');
  t.equal(summarizePod({ metadata: { ownerReferences: [{ kind: 'Node' }, { kind: 'ReplicaSet', controller: true }] } }).ownerKind, 'ReplicaSet');
  t.equal(summarizePod({ metadata: { ownerReferences: [{ kind: 'Node' }] } }).ownerKind, 'Node');
  t.equal(summarizePod({ metadata: { ownerReferences: 'x' } }).ownerKind, undefined);
});

t.test('verdictFromOutcome: inject with an empty patch is a skip', async (t) => {
  const v = verdictFromOutcome(outcome({ inject: true, reason: 'namespace-enabled' }), 'ns', {});
  t.equal(v.result, 'skipped');
});

t.test('the webhook\'s path: env for the proxy with a meshConfig (the istio profile); a bad key denied; ignored otherwise', async (t) => {
  const istio = { ...FAKE_SNAPSHOT, meshConfig: {} } as unknown as typeof FAKE_SNAPSHOT;
  let seen: Parameters<PodEvaluator>[3] | undefined;
  const capture: PodEvaluator = (...args) => { seen = args[3]; return injects(...args); };
  await admit(requestOf('01-'), deps(capture, { snapshot: () => istio }), '/inject/cluster/c2/net/n2');
  t.same({ ...seen?.proxyEnv }, { ISTIO_META_CLUSTER_ID: 'c2', ISTIO_META_NETWORK: 'n2' });
  await admit(requestOf('01-'), deps(capture), '/inject/cluster/c2');
  t.notOk(seen && 'proxyEnv' in seen, 'the default profile has no use for it');
  const bad = await admit(requestOf('01-'), deps(mustNotRun, { snapshot: () => istio }), '/inject/no way/x');
  t.match(bad, { result: 'error', reason: 'invalid-request', verdict: { allowed: false, status: { code: 400 } } });
  t.match(bad.message, /"NO WAY", which is no env name/);
});
