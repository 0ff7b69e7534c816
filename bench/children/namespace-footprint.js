// @ts-check
// The namespace cache's footprint: the real NamespaceCache, fed by a scripted API with
// 5,000 namespaces shaped like `kubectl apply`'d ones, measured as heap after a full GC.
// Usage: node --expose-gc namespace-footprint.js '{}'
import v8 from 'node:v8';
import { loadProgram } from '../lib/program.js';

async function namespaceCacheFootprint() {
  const { NamespaceCache } = await loadProgram('cluster/namespace-cache.js');
  const count = 5000;
  // Shaped like `kubectl get ns -o json` items of namespaces created by `kubectl apply`:
  // labels, a few annotations, the last-applied copy, managedFields.
  const namespaceObject = (i) => {
    const name = `team-${String(i).padStart(4, '0')}`;
    const labels = { 'sidecar-injection': i % 2 ? 'enabled' : 'disabled', team: `t${i % 97}`, env: i % 3 ? 'prod' : 'staging' };
    const annotations = { 'sidecar-injector.io/proxy-cpu': '100m', owner: `owner-${i}@example.com` };
    return {
      apiVersion: 'v1', kind: 'Namespace',
      metadata: {
        name, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, resourceVersion: String(1000 + i),
        creationTimestamp: '2026-01-01T00:00:00Z', labels,
        annotations: { ...annotations, 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } }) },
        managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': Object.fromEntries(Object.keys(labels).map((k) => [`f:${k}`, {}])) } } }],
      },
      spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' },
    };
  };
  /** @type {import('../../src/cluster/kube-client.js').NamespaceClient} */
  const client = {
    describe: 'namespaces (scripted)',
    async list({ limit, continueToken }) {
      const from = Number(continueToken ?? 0);
      const to = Math.min(count, from + limit);
      const items = [];
      // plain JSON as the API sends it (timestamps are strings, not the client's Dates)
      for (let i = from; i < to; i++) items.push(/** @type {any} */ (namespaceObject(i)));
      return { items, resourceVersion: '9999', continueToken: to < count ? String(to) : undefined };
    },
    // A watch that stays open and delivers nothing.
    async watch() { return { abort() {} }; },
    async read() { return undefined; },
  };
  const gc = /** @type {() => void} */ (globalThis.gc); // --expose-gc
  const measure = () => { gc(); return v8.getHeapStatistics().used_heap_size; };
  const before = measure();
  const cache = new NamespaceCache(client, {});
  await cache.synced;
  const after = measure();
  const size = cache.size;
  const probe = await cache.get('team-0001');
  cache.close();
  return { namespaces: size, heapBytes: after - before, perNamespaceBytes: (after - before) / size, sample: probe };
}

process.stdout.write(`${JSON.stringify(await namespaceCacheFootprint())}\n`);
