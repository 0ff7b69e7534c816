// Scenario 2: who is left alone. In an opted-in namespace a pod opts out by label (the
// webhook's objectSelector keeps it away from the injector) or by annotation (the injector
// sees it and skips it). In a namespace without the label only pods labelled
// sidecar-injector.io/inject=true are injected; a namespace labelled disabled wins.
import t from 'tap';
import { installLocalInjector } from './support/harness.js';
import { noCluster, scenarioNamespace } from './support/scenario.js';
import { applyObjects, kubectlJson } from './support/kubectl.js';
import type { KubeObject } from './support/manifests.js';
import { assertInjected, assertUntouched, INJECT_KEY, podManifest, type Meta } from './support/pods.js';

t.setTimeout(300_000);

t.test('opting in and out', { skip: noCluster }, async (t) => {
  const { injector } = await installLocalInjector(t, '02-opt-in-out');
  const enabled = await scenarioNamespace(t, 'enabled', { labels: { 'sidecar-injection': 'enabled' } });
  const plain = await scenarioNamespace(t, 'plain');
  const disabled = await scenarioNamespace(t, 'disabled', { labels: { 'sidecar-injection': 'disabled' } });

  /** Creates the pod with kubectl apply and returns it as stored. */
  async function createPod(namespace: string, name: string, meta: Meta): Promise<KubeObject> {
    await applyObjects([podManifest(name, namespace, meta)]);
    return kubectlJson(['-n', namespace, 'get', 'pod', name]);
  }
  const requests = () => injector.sample('sidecar_injector_requests_total', { result: 'skipped' })
    .then(async (skipped) => skipped + await injector.sample('sidecar_injector_requests_total', { result: 'injected' }));

  t.test('opted-in namespace, pod label inject=false: untouched, the injector is not even called', async (t) => {
    const before = await requests();
    assertUntouched(t, await createPod(enabled, 'label-false', { labels: { [INJECT_KEY]: 'false' } }));
    t.equal(await requests(), before, 'the injector received no request (objectSelector)');
  });

  t.test('opted-in namespace, pod annotation inject=false: untouched, skipped as pod-opted-out', async (t) => {
    const before = await injector.sample('sidecar_injector_skipped_total', { reason: 'pod-opted-out' });
    assertUntouched(t, await createPod(enabled, 'annotation-false', { annotations: { [INJECT_KEY]: 'false' } }));
    t.equal(await injector.sample('sidecar_injector_skipped_total', { reason: 'pod-opted-out' }), before + 1,
      'the injector saw the pod and skipped it (sidecar_injector_skipped_total{reason="pod-opted-out"})');
  });

  t.test('opted-in namespace, plain pod: injected', async (t) => {
    assertInjected(t, await createPod(enabled, 'plain', {}));
  });

  t.test('namespace without the label, plain pod: untouched', async (t) => {
    const before = await requests();
    assertUntouched(t, await createPod(plain, 'plain', {}));
    t.equal(await requests(), before, 'the injector received no request (namespaceSelector/objectSelector)');
  });

  t.test('namespace without the label, pod label inject=true: injected', async (t) => {
    assertInjected(t, await createPod(plain, 'label-true', { labels: { [INJECT_KEY]: 'true' } }));
  });

  t.test('namespace without the label, only the annotation inject=true: untouched (selectors see labels only, deploy/README.md)', async (t) => {
    assertUntouched(t, await createPod(plain, 'annotation-true', { annotations: { [INJECT_KEY]: 'true' } }));
  });

  t.test('namespace labelled disabled, pod label inject=true: untouched', async (t) => {
    assertUntouched(t, await createPod(disabled, 'label-true', { labels: { [INJECT_KEY]: 'true' } }));
  });
});
