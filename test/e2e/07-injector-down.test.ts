// Scenario 7: the injector is down. failurePolicy Fail refuses pods that asked for injection
// (a pod without its proxy would bypass the mesh), with an error naming the webhook; the
// selectors keep every other pod out of the webhook's path, so they are created normally.
// A controller's pods appear, injected, once the injector is back.
import { connect } from 'node:tls';
import t from 'tap';
import { installLocalInjector } from './support/harness.js';
import { applyObjects, kubectlJson } from './support/kubectl.js';
import type { KubeObject } from './support/manifests.js';
import { assertInjected, assertUntouched, INJECT_KEY, podManifest, podSpec } from './support/pods.js';
import { noCluster, scenarioNamespace } from './support/scenario.js';
import { waitFor } from './support/wait.js';

t.setTimeout(300_000);

function deployment(name: string, namespace: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec() } },
  };
}

t.test('injector unavailable', { skip: noCluster }, async (t) => {
  const { injector } = await installLocalInjector(t, '07-injector-down');
  const enabled = await scenarioNamespace(t, 'down-enabled', { labels: { 'sidecar-injection': 'enabled' } });
  const plain = await scenarioNamespace(t, 'down-plain');

  // The contract: on SIGTERM readiness fails, in-flight requests finish, then it exits 0.
  t.equal(await injector.stop(), 0, 'SIGTERM: the injector exits 0', { log: injector.options.logFile });

  await t.test('a pod in an opted-in namespace is refused with an error naming the webhook', async (t) => {
    const apply = await applyObjects([podManifest('refused', enabled)], [], { allowFailure: true });
    t.not(apply.code, 0, 'kubectl apply exits non-zero');
    t.match(apply.stderr, /failed calling webhook "namespace\.sidecar-injector\.io"/, 'the error names the webhook that could not be called');
    t.match(apply.stderr, injector.url.replace('/inject', ''), 'and where it was called');
  });

  await t.test('a pod labelled inject=true elsewhere is refused too', async (t) => {
    const apply = await applyObjects([podManifest('refused', plain, { labels: { [INJECT_KEY]: 'true' } })], [], { allowFailure: true });
    t.not(apply.code, 0, 'kubectl apply exits non-zero');
    t.match(apply.stderr, /failed calling webhook "object\.sidecar-injector\.io"/, 'the error names the webhook');
  });

  await t.test('other pods are created normally', async (t) => {
    await applyObjects([podManifest('unaffected', plain)]);
    assertUntouched(t, await kubectlJson(['-n', plain, 'get', 'pod', 'unaffected']));
    await applyObjects([podManifest('opted-out', enabled, { labels: { [INJECT_KEY]: 'false' } })]);
    assertUntouched(t, await kubectlJson(['-n', enabled, 'get', 'pod', 'opted-out']), 'a pod labelled inject=false in the opted-in namespace');
  });

  await t.test('a Deployment\'s pods wait for the injector and appear, injected, once it is back', async (t) => {
    await applyObjects([deployment('patient', enabled, 1)]);
    const failure = await waitFor('the ReplicaSet to report ReplicaFailure', async () => {
      const sets = await kubectlJson(['-n', enabled, 'get', 'replicasets', '-l', 'app=patient']);
      const conditions: Array<{ type: string; message: string }> = sets.items[0]?.status?.conditions ?? [];
      return conditions.find((c) => c.type === 'ReplicaFailure');
    });
    t.match(failure.message, 'sidecar-injector.io', 'the ReplicaSet\'s condition names the webhook');
    t.same((await kubectlJson(['-n', enabled, 'get', 'pods', '-l', 'app=patient'])).items, [], 'no pod was created while the injector was down');

    await injector.start();
    // The ReplicaSet controller retries with exponential backoff: allow for it.
    const pods = await waitFor('the ReplicaSet to create its pod after the injector is back', async () => {
      const list = await kubectlJson(['-n', enabled, 'get', 'pods', '-l', 'app=patient']);
      return list.items.length === 1 ? list.items : undefined;
    }, { timeoutMs: 120_000 });
    assertInjected(t, pods[0]);
  });

  await t.test('SIGTERM while a client is connected that has not sent a request yet: exits 0', async (t) => {
    const socket = connect({ host: '127.0.0.1', port: injector.options.port, rejectUnauthorized: false });
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    try {
      // Such spares (the apiserver's client leaves them) once held the drain until the deadline.
      t.equal(await injector.stop(), 0, 'the injector exits 0: a connection without a request is not in flight',
        { log: injector.options.logFile });
    } finally {
      socket.destroy();
    }
  });
});
