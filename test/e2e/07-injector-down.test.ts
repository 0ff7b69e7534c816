// Scenario 7: the injector is down. failurePolicy Fail refuses pods that asked for injection
// (a pod without its proxy would bypass the mesh), with an error naming the webhook; the
// selectors keep every other pod out of the webhook's path, so they are created normally.
// A controller's pods appear, injected, once the injector is back.
import t from 'tap';
import { installLocalInjector, noCluster, scenarioNamespace } from './support/harness.js';
import { applyObjects, kubectlJson } from './support/kubectl.js';
import { assertInjected, assertUntouched, INJECT_KEY, podManifest, podSpec } from './support/pods.js';
import { waitFor } from './support/wait.js';

t.setTimeout(300_000);

t.test('injector unavailable', { skip: noCluster }, async (t) => {
  const { injector } = await installLocalInjector(t, '07-injector-down');
  const enabled = await scenarioNamespace(t, 'down-enabled', { labels: { 'sidecar-injection': 'enabled' } });
  const plain = await scenarioNamespace(t, 'down-plain');

  t.equal(await injector.stop(), 0, 'the injector exits 0 on SIGTERM');

  t.test('a pod in an opted-in namespace is refused with an error naming the webhook', async (t) => {
    const apply = await applyObjects([podManifest('refused', enabled)], [], { allowFailure: true });
    t.not(apply.code, 0, 'kubectl apply exits non-zero');
    t.match(apply.stderr, /failed calling webhook "namespace\.sidecar-injector\.io"/, 'the error names the webhook that could not be called');
    t.match(apply.stderr, injector.url.replace('/inject', ''), 'and where it was called');
  });

  t.test('a pod labelled inject=true elsewhere is refused too', async (t) => {
    const apply = await applyObjects([podManifest('refused', plain, { labels: { [INJECT_KEY]: 'true' } })], [], { allowFailure: true });
    t.not(apply.code, 0, 'kubectl apply exits non-zero');
    t.match(apply.stderr, /failed calling webhook "object\.sidecar-injector\.io"/, 'the error names the webhook');
  });

  t.test('other pods are created normally', async (t) => {
    await applyObjects([podManifest('unaffected', plain)]);
    assertUntouched(t, await kubectlJson(['-n', plain, 'get', 'pod', 'unaffected']));
    await applyObjects([podManifest('opted-out', enabled, { labels: { [INJECT_KEY]: 'false' } })]);
    assertUntouched(t, await kubectlJson(['-n', enabled, 'get', 'pod', 'opted-out'], {}), 'a pod labelled inject=false in the opted-in namespace');
  });

  t.test('a Deployment\'s pods wait for the injector and appear, injected, once it is back', async (t) => {
    await applyObjects([{
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'patient', namespace: enabled },
      spec: { replicas: 1, selector: { matchLabels: { app: 'patient' } }, template: { metadata: { labels: { app: 'patient' } }, spec: podSpec() } },
    }]);
    const failure = await waitFor('the ReplicaSet to report ReplicaFailure', async () => {
      const sets = await kubectlJson(['-n', enabled, 'get', 'replicasets', '-l', 'app=patient']);
      const conditions: Array<{ type: string; message: string }> = sets.items[0]?.status?.conditions ?? [];
      return conditions.find((c) => c.type === 'ReplicaFailure');
    });
    t.match(failure.message, 'sidecar-injector.io', 'the ReplicaSet\'s condition names the webhook');
    t.same((await kubectlJson(['-n', enabled, 'get', 'pods', '-l', 'app=patient'])).items, [], 'no pod was created while the injector was down');

    await injector.start();
    const pods = await waitFor('the ReplicaSet to create its pod after the injector is back', async () => {
      const list = await kubectlJson(['-n', enabled, 'get', 'pods', '-l', 'app=patient']);
      return list.items.length === 1 ? list.items : undefined;
    }, { timeoutMs: 120_000 });
    assertInjected(t, pods[0]);
  });
});
