// Scenario 1: in a namespace labelled sidecar-injection=enabled, every pod a controller
// creates (Deployment → ReplicaSet, StatefulSet, Job) is injected; the workload objects
// themselves are not changed (the webhook sees pods only).
import t, { type Test } from 'tap';
import { installLocalInjector } from './support/harness.js';
import { noCluster, scenarioNamespace } from './support/scenario.js';
import { applyObjects, kubectlJson } from './support/kubectl.js';
import type { KubeObject } from './support/manifests.js';
import { assertInjected, containerNames, podSpec } from './support/pods.js';
import { waitFor } from './support/wait.js';

t.setTimeout(300_000);

/** Waits until exactly `count` pods match the selector, and returns them. */
async function podsOf(namespace: string, selector: string, count: number): Promise<KubeObject[]> {
  return waitFor(`${count} pods with ${selector} in ${namespace}`, async () => {
    const list = await kubectlJson(['-n', namespace, 'get', 'pods', '-l', selector]);
    return list.items.length === count ? list.items as KubeObject[] : undefined;
  }, { timeoutMs: 90_000 });
}

function template(app: string): Record<string, unknown> {
  return { metadata: { labels: { app } }, spec: podSpec() };
}

function assertOwnedBy(t: Test, pods: KubeObject[], kind: string): void {
  for (const pod of pods) {
    t.equal(pod.metadata.ownerReferences?.[0]?.kind, kind, `pod ${pod.metadata.name} was created by a ${kind}`);
  }
}

t.test('workloads in an opted-in namespace', { skip: noCluster }, async (t) => {
  await installLocalInjector(t, '01-workloads');
  const namespace = await scenarioNamespace(t, 'workloads', { labels: { 'sidecar-injection': 'enabled' } });

  t.test('Deployment with 3 replicas: every pod of its ReplicaSet is injected', async (t) => {
    await applyObjects([{
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'web', namespace },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template('web') },
    }]);
    const pods = await podsOf(namespace, 'app=web', 3);
    assertOwnedBy(t, pods, 'ReplicaSet');
    for (const pod of pods) assertInjected(t, pod);
    const deployment = await kubectlJson(['-n', namespace, 'get', 'deployment', 'web']);
    t.same(containerNames(deployment.spec.template), ['app'], 'the Deployment\'s own pod template is unchanged');
  });

  t.test('StatefulSet: its pods are injected', async (t) => {
    await applyObjects([{
      apiVersion: 'apps/v1', kind: 'StatefulSet',
      metadata: { name: 'db', namespace },
      // Parallel: pods never become ready here (no kubelet), so OrderedReady would stop at db-0.
      spec: { replicas: 2, serviceName: 'db', podManagementPolicy: 'Parallel', selector: { matchLabels: { app: 'db' } }, template: template('db') },
    }]);
    const pods = await podsOf(namespace, 'app=db', 2);
    assertOwnedBy(t, pods, 'StatefulSet');
    t.same(pods.map((p) => p.metadata.name).sort(), ['db-0', 'db-1'], 'named by the StatefulSet');
    for (const pod of pods) assertInjected(t, pod);
  });

  t.test('Job: its pod is injected', async (t) => {
    await applyObjects([{
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: { name: 'migrate', namespace },
      spec: { backoffLimit: 0, template: { metadata: { labels: { app: 'migrate' } }, spec: { ...podSpec(), restartPolicy: 'Never' } } },
    }]);
    const pods = await podsOf(namespace, 'app=migrate', 1);
    assertOwnedBy(t, pods, 'Job');
    assertInjected(t, pods[0]);
  });
});
