// The pure helpers behind the istio profile's `istio` context: workload identity, the
// ProxyConfig merge, canonical quantities.
import t from 'tap';
import { canonicalQuantity, canonicalQuantityOf } from '../../../src/injection/quantity.js';
import { effectiveProxyConfig } from '../../../src/injection/istio/proxy-config.js';
import { canonicalLabels, ownerURI, workloadMeta } from '../../../src/injection/istio/workload.js';
import type { Pod } from '../../../src/injection/types.js';

const owned = (kind: string, name: string, labels: Record<string, string> = {}, apiVersion = 'apps/v1'): Pod => ({
  metadata: { generateName: `${name}-`, labels, ownerReferences: [{ apiVersion, kind, name, controller: true }] } as Pod['metadata'],
  spec: { containers: [] },
});

t.test('workloadMeta reads the controller as Istio does', async (t) => {
  t.same(workloadMeta(owned('ReplicaSet', 'web-7d4f9', { 'pod-template-hash': '7d4f9' }), 'shop'),
    { name: 'web', namespace: 'shop', apiVersion: 'apps/v1', kind: 'Deployment' });
  t.same(workloadMeta(owned('ReplicaSet', 'web-abc'), 'shop').kind, 'ReplicaSet', 'no hash label: the ReplicaSet itself');
  t.same(workloadMeta(owned('ReplicaSet', 'web-h1', { 'rollouts-pod-template-hash': 'h1' }), 'shop'),
    { name: 'web', namespace: 'shop', apiVersion: 'v1alpha1', kind: 'Rollout' });
  t.same(workloadMeta(owned('Job', 'nightly-28912345', {}, 'batch/v1'), 'ops'),
    { name: 'nightly', namespace: 'ops', apiVersion: 'batch/v1', kind: 'CronJob' });
  t.same(workloadMeta(owned('ReplicationController', 'app-1', { deploymentconfig: 'app' }, 'v1'), 'ns').kind, 'DeploymentConfig');
  t.same(workloadMeta({ metadata: { name: 'solo' }, spec: { containers: [] } }, 'ns'),
    { name: 'solo', namespace: 'ns', apiVersion: 'v1', kind: 'Pod' });
  const noController = owned('ReplicaSet', 'x');
  (noController.metadata as { ownerReferences: unknown[] }).ownerReferences = [{ kind: 'ReplicaSet', name: 'x' }];
  t.same(workloadMeta(noController, 'ns').kind, 'Pod', 'an owner that is not the controller is not read');
});

t.test('ownerURI and canonical labels', async (t) => {
  t.equal(ownerURI({ name: 'web', namespace: '', apiVersion: 'apps/v1', kind: 'Deployment' }),
    'kubernetes://apis/apps/v1/namespaces/default/deployments/web');
  t.equal(ownerURI({ name: '', namespace: 'a', apiVersion: 'v1', kind: 'Pod' }), '');
  t.same(canonicalLabels({ app: 'shop' }, 'web'), { name: 'shop', untrimmed: 'shop', revision: 'latest' });
  t.same(canonicalLabels({ 'app.kubernetes.io/name': 'n', version: 'v2' }, 'web').revision, 'v2');
  const long = `${'a'.repeat(62)}-b`;
  t.equal(canonicalLabels({}, long).name, 'a'.repeat(62), 'truncated to 63 and trimmed of -_.');
});

t.test('effectiveProxyConfig merges the annotation over the mesh default', async (t) => {
  const mesh = { concurrency: 2, proxyMetadata: { A: '1', B: '2' } };
  t.same(effectiveProxyConfig(mesh, undefined).config, mesh);
  t.same(effectiveProxyConfig(mesh, '{"proxyMetadata": {"B": "3"}, "concurrency": 0}').config,
    { concurrency: 0, proxyMetadata: { A: '1', B: '3' } });
  t.same(effectiveProxyConfig(undefined, 'holdApplicationUntilProxyStarts: true').config, { holdApplicationUntilProxyStarts: true });
  t.match(effectiveProxyConfig(mesh, '[1, 2]').problem, /expected a ProxyConfig mapping/);
  t.match(effectiveProxyConfig(mesh, 'a: [').problem, /not YAML or JSON/);
  t.match(effectiveProxyConfig(mesh, 'interceptionMode: SPLICE').problem, /interceptionMode must be one of REDIRECT, TPROXY, NONE/);
  t.match(effectiveProxyConfig(mesh, 'concurrency: "two"').problem, /concurrency must be a number/);
  t.match(effectiveProxyConfig(mesh, 'proxyMetadata: {A: 1}').problem, /proxyMetadata.A must be a string/);
  t.same(effectiveProxyConfig(mesh, '  ').config, mesh, 'blank is absent');
});

t.test('canonicalQuantity writes quantities as the API server stores them', async (t) => {
  t.equal(canonicalQuantity('2000m'), '2');
  t.equal(canonicalQuantity('1500m'), '1500m');
  t.equal(canonicalQuantity('1024Mi'), '1Gi');
  t.equal(canonicalQuantity('1048576Ki'), '1Gi');
  t.equal(canonicalQuantity('100Mi'), '100Mi');
  t.equal(canonicalQuantityOf(3), 3);
  // Kubernetes' rules (the e2e scenario 17 checks the same list against a real apiserver).
  const cases: Array<[string, string]> = [
    ['1000', '1k'], ['0.5', '500m'], ['1.5Gi', '1536Mi'], ['0.5Ki', '512'], ['1e3', '1e3'], ['1.5e3', '1500'], ['1E3', '1E3'], ['5.', '5.'], ['100Mi', '100Mi'], ['1000Mi', '1000Mi'], ['2048Ki', '2Mi'], ['1Ki', '1Ki'],
    ['0.1m', '100u'], ['0.0000000001', '1n'], ['1000k', '1M'], ['0m', '0'], ['+1', '+1'], ['1.0', '1'], ['.5', '500m'], ['10e-1', '1'], ['1024', '1024'],
  ];
  for (const [written, stored] of cases) t.equal(canonicalQuantity(written), stored, written);
  t.equal(canonicalQuantity(`1${'0'.repeat(100)}`), `1${'0'.repeat(100)}`, 'text longer than any quantity a pod means: as written');
  t.equal(canonicalQuantity('lots'), 'lots', 'not a quantity: as written');
});
