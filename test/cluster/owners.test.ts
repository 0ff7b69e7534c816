// Owner resolution (ReplicaSet → Deployment, Job → CronJob), the restart patch, and what a
// pod carries (our status revision, other meshes' proxies).
import t from 'tap';
import { controllerOf, indexOwners, restartPatch, workloadOf } from '../../src/cluster/owners.js';
import { inspectPod, withoutInjection } from '../../src/cluster/pod-injection.js';
import { compileSnapshot } from '../../src/config/compile.js';
import { BUILTIN_CONFIG_DIR, loadConfigDir } from '../../src/config/load-dir.js';
import { applyOutcome, evaluatePod } from '../../src/injection/engine.js';
import { join } from 'node:path';

const owned = (kind: string, name: string, controller = true) => ({ apiVersion: kind === 'ReplicaSet' || kind === 'Deployment' ? 'apps/v1' : 'batch/v1', kind, name, uid: `${name}-uid`, controller });

t.test('workloadOf', async (t) => {
  const index = new Map([
    ...indexOwners('ReplicaSet', [
      { metadata: { name: 'web-5d4f', namespace: 'shop', ownerReferences: [owned('Deployment', 'web')] } },
      { metadata: { name: 'bare', namespace: 'shop' } },
    ]),
    ...indexOwners('Job', [{ metadata: { name: 'report-2812', namespace: 'shop', ownerReferences: [owned('CronJob', 'report')] } }]),
  ]);
  const pod = (...owners: object[]) => ({ metadata: { name: 'p', ownerReferences: owners } });
  t.same(workloadOf(pod(owned('ReplicaSet', 'web-5d4f')), 'shop', index), { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }, 'ReplicaSet → Deployment');
  t.same(workloadOf(pod(owned('Job', 'report-2812')), 'shop', index), { apiVersion: 'batch/v1', kind: 'CronJob', namespace: 'shop', name: 'report' }, 'Job → CronJob');
  t.equal(workloadOf(pod(owned('ReplicaSet', 'bare')), 'shop', index)?.kind, 'ReplicaSet', 'a ReplicaSet without Deployment is the workload');
  t.equal(workloadOf(pod(owned('ReplicaSet', 'unknown')), 'shop', index)?.name, 'unknown', 'a ReplicaSet not listed: itself');
  t.equal(workloadOf(pod(owned('ReplicaSet', 'web-5d4f')), 'other', index)?.kind, 'ReplicaSet', 'the index is per namespace');
  t.equal(workloadOf(pod({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', controller: true }), 'shop', index)?.kind, 'StatefulSet');
  t.equal(workloadOf({ metadata: { name: 'bare' } }, 'shop', index), undefined, 'no owner');
  t.equal(controllerOf({ ownerReferences: [owned('ConfigMap', 'x', false), owned('Job', 'j', true)] })?.name, 'j', 'the controller wins over the first owner');
  t.equal(controllerOf({ ownerReferences: [owned('ConfigMap', 'x', false)] })?.name, 'x', 'else the first owner');
});

t.test('restartPatch is the annotation kubectl rollout restart sets', async (t) => {
  t.same(restartPatch(new Date('2026-12-06T05:00:00Z')), { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-06T05:00:00.000Z' } } } } });
});

t.test('inspectPod and withoutInjection', async (t) => {
  const status = JSON.stringify({ templates: ['sidecar'], containers: ['envoy'], initContainers: ['proxy-init'], volumes: ['envoy-tmp'], imagePullSecrets: [], revision: 'abc' });
  const injected = {
    metadata: { name: 'p', annotations: { 'sidecar-injector.io/status': status, keep: 'x' } },
    spec: { initContainers: [{ name: 'proxy-init' }], containers: [{ name: 'app' }, { name: 'envoy' }], volumes: [{ name: 'data' }, { name: 'envoy-tmp' }] },
  };
  const state = inspectPod(injected);
  t.equal(state.injected, true);
  t.equal(state.status?.revision, 'abc');
  t.same(state.ourContainers, ['proxy-init', 'envoy']);
  t.same(state.foreign, []);
  const original = withoutInjection(injected);
  t.same(original.spec?.containers, [{ name: 'app' }]);
  t.same(original.spec?.initContainers, []);
  t.same(original.spec?.volumes, [{ name: 'data' }]);
  t.same(original.metadata?.annotations, { keep: 'x' }, 'the status annotation is gone, the rest kept');
  t.equal(withoutInjection({ metadata: {}, spec: { containers: [] } }).spec?.containers.length, 0, 'a pod we did not inject is returned as is');

  const istio = inspectPod({ metadata: { annotations: { 'sidecar.istio.io/status': '{}' } }, spec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }] } });
  t.same(istio.foreign, ['container istio-proxy (istio)', 'annotation sidecar.istio.io/status (istio)']);
  t.equal(istio.injected, false);
  t.equal(inspectPod({ metadata: { annotations: { 'sidecar-injector.io/status': 'not json' } }, spec: { containers: [] } }).injected, false, 'an unreadable status is not ours');
});

t.test('a pod the istio profile injected: Istio\'s status annotation is ours, not another mesh\'s', async (t) => {
  const snapshot = compileSnapshot(await loadConfigDir(join(BUILTIN_CONFIG_DIR, 'profiles', 'istio')), { ownNamespace: 'sidecar-injector' });
  const pod = { metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };
  const outcome = evaluatePod(pod, { name: 'shop', labels: { 'istio-injection': 'enabled' }, annotations: {} }, snapshot, { kind: 'Pod', operation: 'CREATE' });
  const injected = applyOutcome(pod, outcome);
  t.ok(injected.metadata?.annotations?.['sidecar.istio.io/status'], 'the profile writes Istio\'s status');
  const state = inspectPod(injected);
  t.equal(state.injected, true);
  t.same(state.ourContainers, ['istio-init', 'istio-proxy']);
  t.same(state.foreign, [], 'nothing foreign: check says injected, audit lists nothing');

  // Our default profile's proxy beside Istio's marker: that marker is still another mesh's.
  const mixed = { ...injected, metadata: { ...injected.metadata, annotations: { ...injected.metadata?.annotations, 'linkerd.io/proxy-version': 'stable' } } };
  t.same(inspectPod(mixed).foreign, ['annotation linkerd.io/proxy-version (linkerd)'], 'another mesh\'s marker on the same pod is still reported');
  const ours = JSON.stringify({ templates: ['sidecar'], containers: ['envoy'], initContainers: [], volumes: [], imagePullSecrets: [], revision: 'r' });
  const envoyAndIstio = inspectPod({
    metadata: { annotations: { 'sidecar-injector.io/status': ours, 'sidecar.istio.io/status': '{}' } }, spec: { containers: [{ name: 'app' }, { name: 'envoy' }] },
  });
  t.same(envoyAndIstio.foreign, ['annotation sidecar.istio.io/status (istio)'], 'Istio\'s status on a pod whose proxy we injected is not Istio\'s proxy: still foreign');
});
