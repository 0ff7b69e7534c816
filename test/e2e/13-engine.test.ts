// Scenario 13 (issue 12): the capture init container runs after the app's own init
// containers; native-sidecar auto comes out off on this 1.20 apiserver (its version read
// by the injector from /version, and the nodes where it may list them), and `true` is
// refused with the reason.
import t from 'tap';
import { installLocalInjector } from './support/harness.js';
import { dryRunPod, noCluster, scenarioNamespace } from './support/scenario.js';
import { applyObjects, kubectl, kubectlJson } from './support/kubectl.js';
import type { KubeObject } from './support/manifests.js';
import { APP_IMAGE, assertInjected, containerNames, initContainerNames, podSpec, PROXY_CONTAINER } from './support/pods.js';
import { waitFor } from './support/wait.js';

t.setTimeout(300_000);

t.test('engine: init order and native sidecars by cluster version', { skip: noCluster }, async (t) => {
  await installLocalInjector(t, '13-engine');
  const namespace = await scenarioNamespace(t, 'engine', { labels: { 'sidecar-injection': 'enabled' } });
  const apiserver = (await kubectlJson(['version'])).serverVersion;

  t.test('a Deployment with probes and an app init container: stored with rewritten probes and proxy-init last', async (t) => {
    const [app] = podSpec().containers as KubeObject[];
    await applyObjects([{
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'migrating', namespace },
      spec: {
        replicas: 1, selector: { matchLabels: { app: 'migrating' } },
        template: {
          metadata: { labels: { app: 'migrating' }, annotations: { 'sidecar-injector.io/rewrite-probes': 'true' } },
          spec: {
            ...podSpec(),
            containers: [{
              ...app,
              ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 5432 }],
              readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
              livenessProbe: { tcpSocket: { port: 5432 }, periodSeconds: 10 },
            }],
            initContainers: [{ name: 'migrate', image: APP_IMAGE, command: ['migrate'] }],
          },
        },
      },
    }]);
    const pod = await waitFor('the Deployment\'s pod', async () => {
      const list = await kubectlJson(['-n', namespace, 'get', 'pods', '-l', 'app=migrating']);
      return list.items[0] as KubeObject | undefined;
    }, { timeoutMs: 90_000 });
    assertInjected(t, pod);
    t.same(initContainerNames(pod), ['migrate', 'proxy-init'], 'the app\'s init container runs before the capture');
    // The kubelet asks the proxy's status port; the proxy asks the app on localhost.
    const stored = (pod.spec as { containers: KubeObject[] }).containers.find((c) => c.name === app.name)!;
    t.match(stored.readinessProbe, { httpGet: { path: `/app-health/${app.name}/readyz`, port: 15021 }, periodSeconds: 5 },
      'the HTTP probe on a named port goes to the status port, its timing kept');
    t.match(stored.livenessProbe, { httpGet: { path: `/app-health/${app.name}/livez`, port: 15021 }, periodSeconds: 10 },
      'the TCP probe becomes an HTTP GET of the status port');
    t.notOk((stored.livenessProbe as KubeObject).tcpSocket, 'no TCP probe left');
    const envoy = (pod.spec as { containers: KubeObject[] }).containers.find((c) => c.name === PROXY_CONTAINER)!;
    const bootstrap = JSON.stringify(envoy.args);
    t.match(bootstrap, `/app-health/${app.name}/readyz`, 'the proxy serves the readiness path');
    t.match(bootstrap, `/app-health/${app.name}/livez`, 'and the liveness path');
  });

  t.test(`native-sidecar auto (the default) is off on this ${apiserver.major}.${apiserver.minor} apiserver`, async (t) => {
    const pod = await dryRunPod(namespace);
    assertInjected(t, pod);
    t.ok(containerNames(pod).includes(PROXY_CONTAINER), 'the proxy is a regular container');
    t.same(initContainerNames(pod), ['proxy-init'], 'no native sidecar among the init containers');
  });

  t.test('native-sidecar true is refused with the reason', async (t) => {
    const create = await kubectl(['create', '-f', '-', '--dry-run=server'], {
      allowFailure: true,
      input: JSON.stringify({
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: 'native', namespace, annotations: { 'sidecar-injector.io/native-sidecar': 'true' } },
        spec: podSpec(),
      }),
    });
    t.not(create.code, 0, 'the pod is not created');
    t.match(create.stderr, /denied the request/);
    t.match(create.stderr, 'sidecar-injector.io/native-sidecar');
    // The apiserver's version decides unless the injector listed nodes (then the oldest kubelet's).
    t.match(create.stderr, /native sidecars need Kubernetes 1\.28 or later and (the cluster|the oldest node's kubelet) is 1\.\d+/);
    t.match(create.stderr, 'never exits', 'and says what would go wrong');
  });
});
