// Scenario 5: sidecar-injector.io/ annotations on a Namespace are defaults for its pods; a
// pod's own annotation wins; a later change to the namespace reaches the next pod (the
// injector watches namespaces).
import t from 'tap';
import { installLocalInjector } from './support/harness.js';
import { dryRunPod, noCluster, scenarioNamespace } from './support/scenario.js';
import { applyObjects, kubectl, kubectlJson } from './support/kubectl.js';
import type { KubeObject } from './support/manifests.js';
import { assertInjected, container, podManifest, PROXY_CONTAINER, proxyLogLevel } from './support/pods.js';
import { waitFor } from './support/wait.js';

t.setTimeout(300_000);

const proxyCpu = (pod: KubeObject): string | undefined => container(pod, PROXY_CONTAINER)?.resources?.requests?.cpu;

t.test('namespace annotations as defaults', { skip: noCluster }, async (t) => {
  await installLocalInjector(t, '05-namespace-defaults');
  const namespace = await scenarioNamespace(t, 'defaults', {
    labels: { 'sidecar-injection': 'enabled' },
    annotations: { 'sidecar-injector.io/proxy-cpu': '300m', 'sidecar-injector.io/log-level': 'debug' },
  });

  t.test('a pod without annotations gets the namespace\'s settings', async (t) => {
    await applyObjects([podManifest('defaults', namespace)]);
    const pod = await kubectlJson(['-n', namespace, 'get', 'pod', 'defaults']);
    assertInjected(t, pod);
    t.equal(proxyCpu(pod), '300m', 'proxy CPU request from the namespace annotation');
    t.equal(proxyLogLevel(pod), 'debug', 'proxy log level from the namespace annotation');
  });

  t.test('a pod annotation overrides the namespace\'s; the other namespace setting still applies', async (t) => {
    await applyObjects([podManifest('override', namespace, { annotations: { 'sidecar-injector.io/proxy-cpu': '50m' } })]);
    const pod = await kubectlJson(['-n', namespace, 'get', 'pod', 'override']);
    assertInjected(t, pod);
    t.equal(proxyCpu(pod), '50m', 'proxy CPU request from the pod annotation');
    t.equal(proxyLogLevel(pod), 'debug', 'proxy log level still from the namespace');
  });

  t.test('changing the namespace annotation changes the next pod, without a restart', async (t) => {
    await kubectl(['annotate', 'namespace', namespace, 'sidecar-injector.io/log-level=error', '--overwrite']);
    const pod = await waitFor('a new pod to get log level error from the namespace', async () => {
      const candidate = await dryRunPod(namespace);
      return proxyLogLevel(candidate) === 'error' ? candidate : undefined;
    });
    t.equal(proxyCpu(pod), '300m', 'the unchanged namespace setting still applies');
  });
});
