import v8 from 'node:v8';
import vm from 'node:vm';
import t, { type Test } from 'tap';
import type { V1Namespace } from '@kubernetes/client-node';
import type { NamespaceClient } from '../../src/cluster/kube-client.js';
import { NamespaceCache, namespaceView, StaticNamespaces, type NamespaceCacheOptions } from '../../src/cluster/namespace-cache.js';
import { waitFor } from '../config/support/helpers.js';
import { FakeClient, obj } from './support/fake-client.js';

/** A fake namespace API: list/watch scripted by FakeClient, reads answered by `reads`. */
class FakeNamespaces extends FakeClient<V1Namespace> implements NamespaceClient {
  readonly readCalls: Array<{ name: string; timeoutMs: number }> = [];
  /** What the next read of a name answers; unknown names are "not found". */
  readonly reads = new Map<string, () => Promise<V1Namespace | undefined>>();

  read(name: string, timeoutMs: number): Promise<V1Namespace | undefined> {
    this.readCalls.push({ name, timeoutMs });
    return this.reads.get(name)?.() ?? Promise.resolve(undefined);
  }
}

function ns(name: string, rv: string, labels?: Record<string, string>, annotations?: Record<string, string>): V1Namespace {
  return obj(name, rv, { labels, annotations }) as V1Namespace;
}

function startCache(t: Test, client: FakeNamespaces, options: NamespaceCacheOptions = {}): NamespaceCache {
  const cache = new NamespaceCache(client, { initialBackoffMs: 10, ...options });
  t.teardown(() => cache.close());
  return cache;
}

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

t.test('serves labels and annotations from the list and keeps them current from the watch', async (t) => {
  const client = new FakeNamespaces({ items: [ns('apps', '1', { 'sidecar-injection': 'enabled' }, { note: 'x' }), ns('other', '2')], resourceVersion: '2' });
  const cache = startCache(t, client);
  t.equal(cache.ready, false);
  await cache.synced;
  t.equal(cache.ready, true);
  t.equal(cache.size, 2);
  t.same(await cache.get('apps'), { name: 'apps', labels: { 'sidecar-injection': 'enabled' }, annotations: { note: 'x' } });
  t.same(await cache.get('other'), { name: 'other', labels: {}, annotations: {} });

  await waitFor('watch', () => client.watches.length === 1);
  client.lastWatch!.emit('MODIFIED', ns('apps', '3', { 'sidecar-injection': 'disabled' }));
  t.same((await cache.get('apps')).labels, { 'sidecar-injection': 'disabled' });
  client.lastWatch!.emit('ADDED', ns('new', '4', { team: 'a' }));
  t.ok(cache.has('new'));
  client.lastWatch!.emit('DELETED', ns('other', '5'));
  t.notOk(cache.has('other'));
  t.equal(client.readCalls.length, 0, 'no API call for any of these');
});

t.test('a namespace not in the cache: one direct read, shared by concurrent requests, then cached', async (t) => {
  const client = new FakeNamespaces();
  const cache = startCache(t, client, { readTimeoutMs: 1234 });
  await cache.synced;
  const answer = deferred<V1Namespace | undefined>();
  client.reads.set('fresh', () => answer.promise);
  const first = cache.get('fresh');
  const second = cache.get('fresh');
  answer.resolve(ns('fresh', '9', { a: 'b' }));
  const [a, b] = await Promise.all([first, second]);
  t.same(a, { name: 'fresh', labels: { a: 'b' }, annotations: {} });
  t.equal(a, b);
  t.same(client.readCalls, [{ name: 'fresh', timeoutMs: 1234 }], 'one read, with the configured deadline');
  t.ok(cache.has('fresh'), 'the result is cached');
  await cache.get('fresh');
  t.equal(client.readCalls.length, 1);
});

t.test('a namespace that does not exist has no labels or annotations', async (t) => {
  const client = new FakeNamespaces();
  const cache = startCache(t, client);
  t.same(await cache.get('ghost'), { name: 'ghost', labels: {}, annotations: {} });
  t.equal(client.readCalls.length, 1, 'read directly even before the first list');
});

t.test('a failed read rejects with the namespace and the reason, and is not cached', async (t) => {
  const client = new FakeNamespaces();
  const cache = startCache(t, client);
  client.reads.set('slow', () => Promise.reject(new Error('reading namespace slow timed out after 2000 ms')));
  await t.rejects(cache.get('slow'), { message: 'cannot read namespace "slow" from the Kubernetes API: reading namespace slow timed out after 2000 ms' });
  t.notOk(cache.has('slow'));
  client.reads.set('slow', () => Promise.resolve(ns('slow', '3')));
  t.same(await cache.get('slow'), { name: 'slow', labels: {}, annotations: {} }, 'the next request tries again');
  t.equal(client.readCalls.length, 2);
});

t.test('the watch wins over a read that finishes after it', async (t) => {
  const client = new FakeNamespaces();
  const cache = startCache(t, client);
  await waitFor('watch', () => client.watches.length === 1);
  const answer = deferred<V1Namespace | undefined>();
  client.reads.set('race', () => answer.promise);
  const pending = cache.get('race');
  client.lastWatch!.emit('ADDED', ns('race', '10', { from: 'watch' }));
  answer.resolve(ns('race', '8', { from: 'read' }));
  t.same((await pending).labels, { from: 'watch' });
  t.same((await cache.get('race')).labels, { from: 'watch' });
});

t.test('a relist replaces everything, including entries from direct reads', async (t) => {
  const client = new FakeNamespaces({ items: [ns('a', '1')], resourceVersion: '1' });
  const cache = startCache(t, client);
  await cache.get('ghost');
  t.ok(cache.has('ghost'));
  await waitFor('watch', () => client.watches.length === 1);
  client.defaultList = { items: [ns('b', '20')], resourceVersion: '20' };
  client.lastWatch!.emit('ERROR', { code: 410, message: 'expired' });
  await waitFor('relisted', () => cache.has('b'));
  t.notOk(cache.has('a'));
  t.notOk(cache.has('ghost'));
  t.equal(cache.size, 1);
});

t.test('keeps only name, labels and annotations (without last-applied-configuration)', async (t) => {
  const full = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: 'apps',
      uid: '0f6a',
      resourceVersion: '12',
      labels: { team: 'a' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":true}', keep: 'me' },
      managedFields: [{ manager: 'kubectl', fieldsV1: {} }],
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
  const view = namespaceView(full);
  t.same(view, { name: 'apps', labels: { team: 'a' }, annotations: { keep: 'me' } });
  t.ok(Object.isFrozen(view) && Object.isFrozen(view.labels) && Object.isFrozen(view.annotations));
  full.metadata.labels.team = 'changed';
  t.equal(view.labels.team, 'a', 'a copy, not a reference into the API object');
});

t.test('5,000 namespaces stay small in memory', async (t) => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const COUNT = 5000;
  // Heavy objects, as the API sends them: managedFields and a last-applied annotation.
  const heavy = (i: number): V1Namespace => ({
    metadata: {
      name: `team-${i}`,
      resourceVersion: String(i + 1),
      uid: `uid-${i}-${'x'.repeat(30)}`,
      labels: { 'sidecar-injection': i % 2 ? 'enabled' : 'disabled', team: `t${i % 50}` },
      annotations: { owner: `owner-${i}`, 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ pad: 'y'.repeat(1500), i }) },
      managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { pad: 'z'.repeat(1500), i } }],
    },
  } as unknown as V1Namespace);
  gc();
  const before = process.memoryUsage().heapUsed;
  const pages = [];
  for (let p = 0; p < COUNT / 500; p++) {
    const items = Array.from({ length: 500 }, (_, j) => heavy(p * 500 + j));
    pages.push({ items, resourceVersion: '9999', continueToken: p < COUNT / 500 - 1 ? `p${p + 1}` : undefined });
  }
  const client = new FakeNamespaces();
  client.listAnswers.push(...pages);
  pages.length = 0; // from now on only the cache can keep them alive
  const cache = startCache(t, client);
  await cache.synced;
  gc();
  const retained = process.memoryUsage().heapUsed - before;
  t.equal(cache.size, COUNT);
  t.same(await cache.get('team-4999'), { name: 'team-4999', labels: { 'sidecar-injection': 'enabled', team: 't49' }, annotations: { owner: 'owner-4999' } });
  // The full objects are ~3.5 KB each (~17 MB for 5,000); a view is ~400 bytes (~2 MB).
  t.ok(retained < 8 * 1024 * 1024, `retained ${(retained / 1024 / 1024).toFixed(1)} MiB for ${COUNT} namespaces (limit 8 MiB; about 2 MiB expected)`);
});

t.test('StaticNamespaces: every namespace gets the given labels and annotations', async (t) => {
  const labels = { 'sidecar-injection': 'enabled' };
  const lookup = new StaticNamespaces({ labels, annotations: { a: 'b' } });
  t.same(await lookup.get('anything'), { name: 'anything', labels: { 'sidecar-injection': 'enabled' }, annotations: { a: 'b' } });
  labels['sidecar-injection'] = 'disabled';
  t.equal((await lookup.get('x')).labels['sidecar-injection'], 'enabled', 'copied at construction');
  t.same(await new StaticNamespaces().get('y'), { name: 'y', labels: {}, annotations: {} });
});
