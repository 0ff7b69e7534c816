// The render cache: what a template reads, when two pods share a rendering, and that a
// shared rendering is exactly what rendering afresh would give.
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { evaluatePod } from '../../src/injection/engine.js';
import { patchJson } from '../../src/injection/patch.js';
import { RenderCache, renderCacheOf, renderKey, RENDER_CACHE_MAX_KEY_CHARS } from '../../src/injection/render-cache.js';
import { templateReads } from '../../src/injection/template-reads.js';
import type { Fragment, NamespaceView, Pod } from '../../src/injection/types.js';
import { snapshotWith } from '../support/config.js';

const enabled: NamespaceView = { name: 'shop', labels: { 'sidecar-injection': 'enabled' }, annotations: {} };
const request = { kind: 'Pod', operation: 'CREATE' };
const runs = Number(process.env.PROPERTY_RUNS ?? 200);

function pod(name: string, labels: Record<string, string>, annotations: Record<string, string> = {}, serviceAccountName?: string): Pod {
  return {
    metadata: { name, labels, annotations },
    spec: { ...(serviceAccountName ? { serviceAccountName } : {}), containers: [{ name: 'app', image: 'app:1' }] },
  };
}

t.test('templateReads finds the context fields a template can read', async (t) => {
  t.same(templateReads({ a: '${pod.name}', b: { $eval: 'settings . logLevel' } }),
    { pod: ['name'], namespace: [], settings: ['logLevel'], cluster: [], appProbers: [], istio: [], clock: false }, 'field access, with spaces too');
  t.equal(templateReads({ a: { $fromNow: '1 hour' } }).clock, true, '$fromNow reads the clock');
  t.equal(templateReads({ a: '${now}' }).clock, true, 'so does now');
  t.equal(templateReads({ a: 'status.now' }).clock, false, 'a property named now does not');
  t.same(templateReads({ x: { $eval: 'pod' } }).pod, 'all', 'the whole object');
  t.same(templateReads({ x: { $eval: 'pod["labels"]' } }).pod, 'all', 'computed property: all of it');
  t.same(templateReads({ $if: 'defined("namespace")', then: 1 }).namespace, 'all', 'defined() names a variable');
  t.same(templateReads({ '${namespace.name}': 'k' }).namespace, ['name'], 'object keys are scanned');
  t.same(templateReads({ fieldPath: 'metadata.namespace', y: 'values.pod.x' }),
    { pod: [], namespace: [], settings: [], cluster: [], appProbers: [], istio: [], clock: false }, 'a property of something else is not a context read');
  t.same(templateReads({ a: 'podName', b: 'my_settings', c: 'POD_NAMESPACE', d: 'nowhere' }),
    { pod: [], namespace: [], settings: [], cluster: [], appProbers: [], istio: [], clock: false }, 'longer identifiers and other cases do not match');
  t.same(templateReads(snapshotWith().templates.get('sidecar')!.source).pod, ['labels', 'serviceAccountName'],
    'the built-in template reads the pod labels and service account, not its name');
  t.same(templateReads({ a: { $eval: 'cluster.nativeSidecars' }, b: { $eval: 'appProbers' } }),
    { pod: [], namespace: [], settings: [], cluster: ['nativeSidecars'], appProbers: 'all', istio: [], clock: false }, 'cluster and appProbers are read too');
  t.same(templateReads({ a: '${istio.owner}' }).istio, ['owner'], 'the istio profile\'s istio context is read too');
  const none = { pod: [], namespace: [], settings: [], cluster: [], appProbers: [], istio: [], clock: false };
  t.same(templateReads({ mountPath: '/etc/istio/pod', name: 'istio-proxy', list: ['pod', 'settings.x'], 'pod': 'cluster' }), none,
    'literal text JSON-e never evaluates reads nothing');
  t.same(templateReads({ $if: 'true', then: 'pod', else: 'x' }).pod, 'all', 'the literal operands of an operator are scanned (reading more is safe)');
  t.same(templateReads({ $switch: { 'cluster.nativeSidecars': 1, $default: 2 } }).cluster, ['nativeSidecars'], '$switch conditions are keys');
  t.same(templateReads({ $let: { pod: 1 }, in: 'x' }).pod, 'all', '$let names are scanned too');
  t.same(templateReads({ $map: [1], 'each(x)': { $eval: 'x + len(namespace.labels)' } }).namespace, ['labels'], 'each(x) bodies');
  t.same(templateReads({ $sort: [1], 'by(x)': 'settings.order' }).settings, ['order'], 'by(x) expressions');
  t.equal(templateReads({ a: { b: { $fromNow: '1 day' } } }).clock, true, 'an operator name anywhere');
  t.same(templateReads({ a: 'istio.${pod.serviceAccountName}' }).istio, 'all', 'literal text in an interpolated string is scanned too');
});

t.test('a template reading pod.spec keys on the spec; a huge spec is rendered every time', async (t) => {
  const base = snapshotWith();
  const source = { containers: [{ name: 'probe-count', image: 'x:1', args: [{ $eval: 'str(len(pod.spec.containers))' }] }] };
  const snapshot = { ...base, templates: new Map([['spec-reader', { name: 'spec-reader', source }]]) };
  const annotated = (p: Pod) => ({ ...p, metadata: { ...p.metadata, annotations: { 'sidecar-injector.io/templates': 'spec-reader' } } });
  const one = annotated(pod('a', {}));
  const two = annotated({ ...pod('b', {}), spec: { containers: [{ name: 'app', image: 'app:1' }, { name: 'side', image: 's:1' }] } });
  t.same(evaluatePod(one, enabled, snapshot, request).plan!.fragment.containers[0].args, ['1']);
  t.same(evaluatePod(two, enabled, snapshot, request).plan!.fragment.containers[0].args, ['2'], 'another spec, another rendering');
  t.equal(renderCacheOf(snapshot).size, 2);
  const huge = annotated({ ...pod('c', {}), spec: { containers: [{ name: 'app', image: 'app:1', env: [{ name: 'BIG', value: 'x'.repeat(RENDER_CACHE_MAX_KEY_CHARS) }] }] } });
  t.same(evaluatePod(huge, enabled, snapshot, request).plan!.fragment.containers[0].args, ['1']);
  t.equal(renderCacheOf(snapshot).size, 2, 'a spec over the key limit is not cached');
});

t.test('pods differing only in what no template reads share one rendering', async (t) => {
  const snapshot = snapshotWith();
  const first = evaluatePod(pod('web-0', { app: 'web' }, { 'example.com/x': '1' }), enabled, snapshot, request);
  const second = evaluatePod(pod('web-1', { app: 'web' }, { 'example.com/x': '2' }), enabled, snapshot, request);
  t.equal(renderCacheOf(snapshot).size, 1, 'one entry for both pods');
  t.equal(second.plan!.fragment.containers[0], first.plan!.fragment.containers[0], 'the same frozen container');
  t.ok(Object.isFrozen(first.plan!.fragment.containers[0].args), 'cached objects are frozen');
  t.same(second.patch, first.patch, 'identical patches');

  const other = evaluatePod(pod('web-2', { app: 'api' }), enabled, snapshot, request);
  t.equal(renderCacheOf(snapshot).size, 2, 'different labels: a new entry');
  const labelsIn = (outcome: typeof other) => JSON.parse((outcome.plan!.fragment.containers[0].args as string[])[1]).node.metadata.LABELS;
  t.same(labelsIn(other), { app: 'api' }, 'the bootstrap carries this pod\'s labels');
  t.same(labelsIn(first), { app: 'web' }, 'and the first rendering is unchanged');

  const withAccount = evaluatePod(pod('web-3', { app: 'web' }, {}, 'web'), enabled, snapshot, request);
  t.ok(withAccount.plan!.fragment.volumes.some((v) => v.name === 'proxy-token'), 'a service account is read: its own rendering');
  const overridden = evaluatePod(pod('web-4', { app: 'web' }, { 'sidecar-injector.io/log-level': 'debug' }), enabled, snapshot, request);
  t.match(overridden.plan!.fragment.containers[0].args, ['--config-yaml', String, '--log-level', 'debug'], 'a setting changes the key');
});

t.test('a cached rendering shares nothing with the pod that produced it', async (t) => {
  const snapshot = snapshotWith();
  const labels = { app: 'web' };
  evaluatePod(pod('a', labels), enabled, snapshot, request);
  t.notOk(Object.isFrozen(labels), 'the request\'s own objects are not frozen');
  labels.app = 'changed-after';
  const later = evaluatePod(pod('b', { app: 'web' }), enabled, snapshot, request);
  t.same(JSON.parse((later.plan!.fragment.containers[0].args as string[])[1]).node.metadata.LABELS, { app: 'web' }, 'a later change to the first pod does not leak');
});

t.test('a rendering from the cache equals one made afresh', async (t) => {
  const warm = snapshotWith({}, ['extra']);
  // Few label values and settings, so generated pods often share a key with an earlier one.
  const podArb = fc.record({
    name: fc.constantFrom('a', 'b', 'c'),
    labels: fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'api'), { maxKeys: 2 }),
    annotations: fc.dictionary(
      fc.constantFrom('sidecar-injector.io/log-level', 'sidecar-injector.io/templates', 'example.com/free'),
      fc.constantFrom('debug', 'info', 'sidecar', 'sidecar,extra'), { maxKeys: 2 }),
    account: fc.constantFrom(undefined, 'default'),
  });
  let hits = 0;
  fc.assert(fc.property(podArb, (p) => {
    const before = renderCacheOf(warm).size;
    const input = pod(p.name, p.labels, p.annotations, p.account);
    const cached = evaluatePod(input, enabled, warm, request);
    if (renderCacheOf(warm).size === before && cached.plan) hits++;
    const fresh = evaluatePod(input, enabled, snapshotWith({}, ['extra']), request);
    // Twice: the second serialization reuses the JSON kept beside the shared values.
    const json = [patchJson(cached.patch), patchJson(cached.patch)];
    return isDeepStrictEqual(cached.patch, fresh.patch) && cached.denial === fresh.denial
      && json.every((text) => text === JSON.stringify(fresh.patch));
  }), { numRuns: runs, seed: 11 });
  t.ok(hits > runs / 4, `most pods were served from the cache (${hits} of ${runs})`);
});

t.test('the cache is bounded', async (t) => {
  const cache = new RenderCache(2);
  const fragment = (name: string): Fragment => ({ containers: [{ name }], initContainers: [], volumes: [], imagePullSecrets: [], annotations: {}, labels: {} });
  cache.set('a', fragment('a'));
  cache.set('b', fragment('b'));
  t.ok(cache.get('a'), 'a used: b is now the oldest');
  cache.set('c', fragment('c'));
  t.equal(cache.size, 2);
  t.equal(cache.get('b'), undefined, 'the least recently used entry went');
  t.ok(cache.get('a') && cache.get('c'));

  const snapshot = snapshotWith();
  const context = { pod: { labels: { big: 'x'.repeat(RENDER_CACHE_MAX_KEY_CHARS) } }, namespace: {}, settings: {}, cluster: {}, appProbers: null };
  t.equal(renderKey(['sidecar'], snapshot, context), undefined, 'no key for inputs over the size limit');
  t.equal(renderKey(['nope'], snapshot, { pod: {}, namespace: {}, settings: {}, cluster: {}, appProbers: null }), undefined, 'no key for an unknown template');
  const clocked = { ...snapshot, templates: new Map([['stamped', { name: 'stamped', source: { annotations: { at: { $fromNow: '0 seconds' } } } }]]) };
  t.equal(renderKey(['stamped'], clocked, { pod: {}, namespace: {}, settings: {}, cluster: {}, appProbers: null }), undefined, 'no key for a template that reads the clock');
  const huge = evaluatePod(pod('h', { big: 'x'.repeat(RENDER_CACHE_MAX_KEY_CHARS) }), enabled, snapshot, request);
  t.ok(huge.plan, 'such a pod is still injected');
  t.equal(renderCacheOf(snapshot).size, 0, 'without being cached');
});

t.test('shared JSON is only kept for frozen values', async (t) => {
  const { markShared, toJson } = await import('../../src/injection/shared-json.js');
  t.throws(() => markShared({ a: 1 }), /only frozen values/, 'a mutable value cannot be shared');
  const value = Object.freeze({ a: 1 });
  markShared(value);
  t.equal(toJson(value), '{"a":1}');
  t.equal(toJson(value), '{"a":1}', 'the kept text on the second call');
  t.equal(toJson('x'), '"x"', 'primitives are serialized as they are');
});

t.test('patchJson writes a remove without a value (a declaration moving to initContainers)', async (t) => {
  const ops = [{ op: 'remove' as const, path: '/spec/containers/1' }, { op: 'add' as const, path: '/spec/initContainers', value: [{ name: 'envoy' }] }];
  t.same(JSON.parse(patchJson(ops)), ops);
});
