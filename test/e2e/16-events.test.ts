// Scenario 16: Kubernetes Events. A Deployment of 3 replicas leaves Injected Events on its
// ReplicaSet (aggregated: their counts add up to 3), retrievable with kubectl get events;
// a --dry-run=server pod leaves none.
import t from 'tap';
import { installLocalInjector } from './support/harness.js';
import { applyObjects, kubectl, kubectlJson } from './support/kubectl.js';
import { recreateDeployment } from './support/day2.js';
import { podManifest } from './support/pods.js';
import { noCluster, scenarioNamespace } from './support/scenario.js';
import { waitFor } from './support/wait.js';

t.setTimeout(300_000);

type Event = { reason: string; message: string; count?: number; involvedObject: { kind: string; name: string } };

async function events(ns: string): Promise<Event[]> {
  return (await kubectlJson(['-n', ns, 'get', 'events'])).items as Event[];
}

t.test('events', { skip: noCluster }, async (t) => {
  await installLocalInjector(t, '16-events');

  await t.test('a Deployment of 3 replicas leaves Injected Events on its ReplicaSet', async (t) => {
    const ns = await scenarioNamespace(t, 'events', { labels: { 'sidecar-injection': 'enabled' } });
    await applyObjects([recreateDeployment('web', ns, 3)]);
    const injected = await waitFor('Injected Events counting 3 pods', async () => {
      const found = (await events(ns)).filter((e) => e.reason === 'Injected');
      return found.reduce((sum, e) => sum + (e.count ?? 1), 0) === 3 ? found : undefined;
    });
    t.ok(injected.every((e) => e.involvedObject.kind === 'ReplicaSet' && e.involvedObject.name.startsWith('web-')), 'on the ReplicaSet', { injected });
    t.ok(injected.length <= 3, 'aggregated (at most one Event per flush)', { count: injected.length });
    const table = await kubectl(['-n', ns, 'get', 'events', '--field-selector', 'reason=Injected']);
    t.match(table.stdout, /Injected/, 'kubectl get events lists them');
    t.comment(`kubectl get events -n ${ns}\n${table.stdout}`);
  });

  await t.test('a --dry-run=server pod leaves none', async (t) => {
    const ns = await scenarioNamespace(t, 'events-dry', { labels: { 'sidecar-injection': 'enabled' } });
    await kubectl(['create', '-f', '-', '--dry-run=server'], { input: JSON.stringify(podManifest('dry', ns)) });
    // A real pod afterwards: once its Event is there, the dry run's would have been written too.
    await applyObjects([podManifest('real', ns)]);
    const found = await waitFor('the real pod\'s Event', async () => {
      const list = await events(ns);
      return list.some((e) => e.message.includes('pod real')) ? list : undefined;
    });
    t.same(found.filter((e) => e.message.includes('pod dry')), [], 'no Event for the dry-run pod');
    // Both would share the namespace's (Namespace, Injected) Event: its count says how many were recorded.
    t.same(found.filter((e) => e.reason === 'Injected').map((e) => e.count ?? 1), [1], 'the Event counts one pod, not two');
    t.ok(found.every((e) => e.involvedObject.kind === 'Namespace'), 'a named pod\'s Event is on its namespace');
  });
});
