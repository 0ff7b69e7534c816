// The ConfigMap source and the namespace cache against a real kube-apiserver
// (test/e2e/cluster/kube-up). Skipped unless KUBECONFIG names that cluster: `npm test`
// needs no cluster; the e2e runner sets KUBECONFIG.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1Namespace } from '@kubernetes/client-node';
import { loadKubeAccess } from '../../src/cluster/kube.js';
import { namespaceClient } from '../../src/cluster/kube-client.js';
import { NamespaceCache } from '../../src/cluster/namespace-cache.js';
import { watchConfigMap } from '../../src/config/configmap-source.js';
import { ConfigStore, type ReloadReport } from '../../src/config/store.js';
import { fakeCompile, textOf } from '../config/support/fake-compile.js';
import { recordingLog, waitFor } from '../config/support/helpers.js';
import { findApiserver, startApiserver, stopApiserver } from './support/apiserver.js';

const kubeconfigPath = process.env.KUBECONFIG;
const skip = kubeconfigPath ? false : 'no KUBECONFIG: these tests need a real apiserver (run test/e2e/cluster/kube-up and export its KUBECONFIG)';
const FAST_RETRY = { initialBackoffMs: 100, maxBackoffMs: 1000 };
const WAIT_MS = 20_000;

t.test('against a real kube-apiserver', { skip }, async (t) => {
  const access = loadKubeAccess({ env: { KUBECONFIG: kubeconfigPath } });
  if (!access) throw new Error('KUBECONFIG is set but gave no Kubernetes access');
  const kc = access.kubeConfig;
  const api = kc.makeApiClient(CoreV1Api);
  const suffix = randomBytes(4).toString('hex');
  const namespace = `si-test-${suffix}`;
  const name = 'sidecar-injector';
  const created: string[] = [];

  async function createNamespace(ns: string, labels: Record<string, string>): Promise<void> {
    await api.createNamespace({ body: { metadata: { name: ns, labels } } });
    created.push(ns);
  }
  async function setLabels(ns: string, labels: Record<string, string>): Promise<void> {
    const current: V1Namespace = await api.readNamespace({ name: ns });
    await api.replaceNamespace({ name: ns, body: { ...current, metadata: { ...current.metadata, labels } } });
  }
  async function putConfig(config: string): Promise<void> {
    await api.replaceNamespacedConfigMap({ name, namespace, body: { metadata: { name }, data: { 'config.yaml': config, 'sidecar.template.yaml': 'containers: []' } } });
  }

  await createNamespace(namespace, { 'sidecar-injection': 'enabled' });
  t.teardown(async () => {
    // Without a controller manager namespaces stay Terminating; harmless and unique.
    for (const ns of created) await api.deleteNamespace({ name: ns }).catch(() => undefined);
  });
  await api.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { 'config.yaml': 'v1', 'sidecar.template.yaml': 'containers: []' } } });

  const store = new ConfigStore({ compile: fakeCompile });
  const reports: ReloadReport[] = [];
  store.onReload((r) => reports.push(r));
  const log = recordingLog();
  const source = watchConfigMap(kc, { namespace, name }, store, { log, ...FAST_RETRY });
  const cache = new NamespaceCache(kc, { log, ...FAST_RETRY });
  t.teardown(() => {
    source.close();
    cache.close();
  });
  await source.firstLoad;
  await cache.synced;

  await t.test('the ConfigMap is loaded, and an edit reaches the store', async (t) => {
    t.equal(textOf(store.current), 'v1');
    t.match(reports[0], { result: 'success', origin: new RegExp(`^configmap ${namespace}/${name}@\\d+$`) });
    await putConfig('v2');
    await waitFor('v2 in the store', () => textOf(store.current) === 'v2', WAIT_MS);
  });

  await t.test('a bad version is reported and the good one stays', async (t) => {
    const good = store.current;
    await putConfig('invalid');
    await waitFor('failure reported', () => reports.at(-1)?.result === 'failure', WAIT_MS);
    t.equal(store.current, good);
    t.match(reports.at(-1), { file: 'config.yaml', field: 'policy' });
    await putConfig('v3');
    await waitFor('v3 in the store', () => textOf(store.current) === 'v3', WAIT_MS);
  });

  await t.test('a deleted ConfigMap keeps the config; re-created, it loads again', async (t) => {
    await api.deleteNamespacedConfigMap({ name, namespace });
    await waitFor('deletion logged', () => log.lines.some((l) => /ConfigMap deleted/.test(l.message)), WAIT_MS);
    t.equal(textOf(store.current), 'v3');
    await api.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { 'config.yaml': 'v4' } } });
    await waitFor('v4 in the store', () => textOf(store.current) === 'v4', WAIT_MS);
  });

  await t.test('only this ConfigMap is watched: others in the namespace are not seen', async (t) => {
    const before = reports.length;
    await api.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'unrelated' }, data: { 'config.yaml': 'other' } } });
    await putConfig('v5');
    await waitFor('v5 in the store', () => textOf(store.current) === 'v5', WAIT_MS);
    t.equal(reports.length, before + 1, 'one reload: the unrelated ConfigMap did not count');
  });

  await t.test('get/list/watch on configmaps in that one namespace is enough', async (t) => {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    const user = `si-reader-${suffix}`;
    await rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'config-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }] } });
    await rbac.createNamespacedRoleBinding({ namespace, body: { metadata: { name: 'config-reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'config-reader' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] } });
    const limited = new KubeConfig();
    const cluster = kc.getCurrentCluster()!;
    limited.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'limited', token: kc.getCurrentUser()?.token, impersonateUser: user }],
      contexts: [{ name: 'limited', cluster: cluster.name, user: 'limited' }],
      currentContext: 'limited',
    });
    const limitedStore = new ConfigStore({ compile: fakeCompile });
    const limitedSource = watchConfigMap(limited, { namespace, name }, limitedStore, FAST_RETRY);
    t.teardown(() => limitedSource.close());
    await limitedSource.firstLoad;
    t.equal(textOf(limitedStore.current), 'v5');
    await putConfig('v6');
    await waitFor('v6 via the limited user', () => textOf(limitedStore.current) === 'v6', WAIT_MS);
  });

  await t.test('namespace label changes reach the cache', async (t) => {
    t.same((await cache.get(namespace)).labels, { 'sidecar-injection': 'enabled' });
    await setLabels(namespace, { 'sidecar-injection': 'disabled', team: 'a' });
    await waitFor('new labels in the cache', async () => (await cache.get(namespace)).labels.team === 'a', WAIT_MS);
    t.same((await cache.get(namespace)).labels, { 'sidecar-injection': 'disabled', team: 'a' });
    const fresh = `si-new-${suffix}`;
    await createNamespace(fresh, { fresh: 'yes' });
    t.same((await cache.get(fresh)).labels, { fresh: 'yes' }, 'a namespace created a moment ago is answered right (watch or direct read)');
  });

  await t.test('a namespace not in the cache gets one direct read', async (t) => {
    // A cache whose list never succeeds, so every answer has to come from a direct read.
    const real = namespaceClient(kc);
    let reads = 0;
    const held = new NamespaceCache({
      ...real,
      list: () => Promise.reject(new Error('informer held off for this test')),
      read: (n, timeoutMs) => {
        reads++;
        return real.read(n, timeoutMs);
      },
    }, { initialBackoffMs: 60_000, maxBackoffMs: 60_000 });
    t.teardown(() => held.close());
    t.equal(held.has(namespace), false);
    const [a, b] = await Promise.all([held.get(namespace), held.get(namespace)]);
    t.same(a.labels, { 'sidecar-injection': 'disabled', team: 'a' });
    t.equal(a, b);
    t.equal(reads, 1, 'concurrent misses shared one read');
    t.ok(held.has(namespace), 'cached');
    t.same(await held.get(`si-missing-${suffix}`), { name: `si-missing-${suffix}`, labels: {}, annotations: {} });
    t.equal(reads, 2);
  });

  // Restarting disturbs anything else using this cluster for a few seconds: a runner
  // that shares it with concurrent tests can opt out.
  const apiserver = process.env.SIDECAR_TEST_NO_APISERVER_RESTART === '1'
    ? 'SIDECAR_TEST_NO_APISERVER_RESTART=1: not restarting the shared apiserver'
    : kubeconfigPath ? findApiserver(kubeconfigPath) : 'no KUBECONFIG';
  await t.test('the watches survive an apiserver restart', { skip: typeof apiserver === 'string' ? apiserver : false }, async (t) => {
    if (typeof apiserver === 'string') return;
    const linesBefore = log.lines.length;
    await stopApiserver(apiserver);
    await waitFor('both watches noticed', () => {
      const failed = log.lines.slice(linesBefore).filter((l) => l.level === 'warn' && /list\/watch failed/.test(l.message));
      return new Set(failed.map((l) => l.fields.resource)).size === 2;
    }, WAIT_MS);
    startApiserver(apiserver);
    await waitFor('apiserver answering', () => api.listNamespace({ limit: 1 }).then(() => true, () => false), 60_000);
    await putConfig('after-restart');
    await waitFor('ConfigMap edit after the restart reaches the store', () => textOf(store.current) === 'after-restart', 30_000);
    await setLabels(namespace, { 'sidecar-injection': 'enabled', restarted: 'yes' });
    await waitFor('label change after the restart reaches the cache', async () => cache.has(namespace) && (await cache.get(namespace)).labels.restarted === 'yes', 30_000);
    const events = log.lines.slice(linesBefore).map((l) => `${l.level}: ${l.message} (${String(l.fields.resource ?? l.fields.configmap ?? '')}${l.fields.err ? `: ${String(l.fields.err)}` : ''})`);
    t.comment(`what the sources logged across the restart:\n${events.join('\n')}`);
    t.pass('reconnected');
  });
});
