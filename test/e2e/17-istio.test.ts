// Scenario 17 (issue 13): the istio profile installed as deploy/istio installs it (Istio's
// selectors, the sidecar-injector-istio ConfigMap). A Deployment with probes and an init
// container in a namespace labelled istio-injection=enabled is stored with istio-proxy,
// istio-init after the app's init container (native sidecars off on this 1.20 apiserver),
// its probes pointed at the agent and PROXY_CONFIG set; a server-side dry run shows the same,
// and moves a pod's own Prometheus annotations into the agent (metrics merge); grpc-agent, a
// proxy override with hold and a pod an older release injected go through the apiserver too;
// and so does Istio CNI on OpenShift, turned on by editing the served ConfigMap.
import t from 'tap';
import type { Test } from 'tap';
import { canonicalQuantity } from '../../src/injection/quantity.js';
import { runCli } from './support/day2.js';
import { installLocalInjector, WEBHOOK_CONFIGURATION } from './support/harness.js';
import { noCluster, scenarioNamespace } from './support/scenario.js';
import { applyObjects, kubectl, kubectlJson } from './support/kubectl.js';
import type { KubeObject } from './support/manifests.js';
import { APP_IMAGE, container, containerNames, initContainerNames, volumeNames } from './support/pods.js';
import { waitFor } from './support/wait.js';

t.setTimeout(300_000);

const ISTIO_LABELS = { 'istio-injection': 'enabled' };

/** The pod's own ProxyConfig, merged over the mesh's default into PROXY_CONFIG. */
const PROXY_CONFIG_ANNOTATIONS = { 'proxy.istio.io/config': 'concurrency: 2' };

/** A pod template with an HTTP readiness probe, a TCP liveness probe and an init container. */
function probedSpec(): Record<string, unknown> {
  return {
    serviceAccountName: 'default',
    initContainers: [{ name: 'migrate', image: APP_IMAGE, command: ['migrate'] }],
    containers: [{
      name: 'app', image: APP_IMAGE, ports: [{ name: 'http', containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
      livenessProbe: { tcpSocket: { port: 8080 } },
    }],
  };
}

/** What the istio profile must have done to the pod (stored or dry-run). */
function assertIstioInjected(t: Test, pod: KubeObject, what: string): void {
  t.same(containerNames(pod), ['app', 'istio-proxy'], `${what}: istio-proxy beside the app`);
  t.same(initContainerNames(pod), ['migrate', 'istio-init'], `${what}: istio-init after the app's init container (native sidecars off)`);
  const proxy = container(pod, 'istio-proxy');
  t.same(proxy?.args?.slice(0, 3), ['proxy', 'sidecar', '--domain'], `${what}: pilot-agent proxy sidecar`);
  const env = new Map<string, string>((proxy?.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value ?? '']));
  const proxyConfig = JSON.parse(env.get('PROXY_CONFIG') ?? 'null');
  t.equal(proxyConfig?.concurrency, 2, `${what}: PROXY_CONFIG carries the pod's proxy.istio.io/config`);
  const app = container(pod, 'app');
  t.match(app?.readinessProbe?.httpGet, { path: '/app-health/app/readyz', port: 15020 }, `${what}: readiness probe rewritten to the agent`);
  t.match(app?.livenessProbe?.httpGet, { path: '/app-health/app/livez', port: 15020 }, `${what}: TCP liveness probe rewritten to an HTTP GET of the agent`);
  t.notOk(app?.livenessProbe?.tcpSocket, `${what}: no tcpSocket left`);
  const probers = JSON.parse(env.get('ISTIO_KUBE_APP_PROBERS') ?? '{}');
  t.same(probers['/app-health/app/readyz']?.httpGet?.port, 8080, `${what}: the agent probes the app's own port`);
  t.same(probers['/app-health/app/livez']?.tcpSocket, { port: 8080 }, `${what}: the TCP probe too`);
  t.ok(pod.metadata.annotations?.['sidecar.istio.io/status'], `${what}: Istio's status annotation`);
}

/**
 * An injected pod as an older release would have written it, submitted again (kube-inject
 * output): another proxy image, an env entry and value this release lacks, one of this
 * release's volumes missing, an app volume after the injected ones; only Istio's status.
 */
function olderInjection(fresh: KubeObject): KubeObject {
  const pod = structuredClone(fresh) as KubeObject & { status?: unknown };
  const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, managedFields: _mf, selfLink: _sl, ...metadata } = pod.metadata as Record<string, unknown>;
  const annotations = { ...(pod.metadata.annotations ?? {}) };
  delete annotations['sidecar-injector.io/status'];
  pod.metadata = { ...metadata, name: 'reinjected', annotations } as KubeObject['metadata'];
  delete pod.status;
  const proxy = container(pod, 'istio-proxy')!;
  proxy.image = 'proxyv2:old';
  proxy.env = [{ name: 'OLD_ONLY', value: '1' }, ...proxy.env.map((e: { name: string }) => (e.name === 'ISTIO_META_CLUSTER_ID' ? { ...e, value: 'old' } : e))];
  container(pod, 'istio-init')!.image = 'proxyv2:old';
  const volumes = (pod.spec!.volumes as Array<{ name: string }>).filter((v) => v.name !== 'istio-ca-crl');
  pod.spec!.volumes = [...volumes, { name: 'data', emptyDir: {} }];
  return pod;
}

t.test('istio profile through deploy/istio', { skip: noCluster }, async (t) => {
  const { rendered } = await installLocalInjector(t, '17-istio', { overlay: 'istio', configMap: 'sidecar-injector-istio', enabledLabels: ISTIO_LABELS });
  // deploy/istio's Deployment as kustomize renders it, scaled to nothing (the injector under
  // test runs beside the cluster): `check` and `audit` find the ConfigMap it serves there.
  const deployment = rendered.find((o) => o.kind === 'Deployment' && o.metadata.name === 'sidecar-injector')!;
  await applyObjects([{ ...deployment, spec: { ...(deployment.spec as object), replicas: 0 } }]);
  t.teardown(() => kubectl(['-n', 'sidecar-injector', 'delete', 'deployment', 'sidecar-injector', '--ignore-not-found']));
  const namespace = await scenarioNamespace(t, 'istio', { labels: ISTIO_LABELS });

  t.test('a Deployment with probes and an init container is stored injected as Istio would', async (t) => {
    await applyObjects([{
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'probed', namespace },
      spec: {
        replicas: 1, selector: { matchLabels: { app: 'probed' } },
        template: { metadata: { labels: { app: 'probed' }, annotations: PROXY_CONFIG_ANNOTATIONS }, spec: probedSpec() },
      },
    }]);
    const pod = await waitFor('the Deployment\'s pod', async () => {
      const list = await kubectlJson(['-n', namespace, 'get', 'pods', '-l', 'app=probed']);
      return list.items[0] as KubeObject | undefined;
    }, { timeoutMs: 90_000 });
    assertIstioInjected(t, pod, 'stored pod');

    // Day 2 on this install, with no flag naming its ConfigMap: Istio's status on the pod came
    // with our injection, not another mesh's.
    const check = await runCli(['check', '-n', namespace, `pod/${pod.metadata.name}`, '-o', 'json']);
    t.equal(check.code, 0, 'check: exit 0', { stdout: check.stdout, stderr: check.stderr });
    t.match(JSON.parse(check.stdout)[0], { verdict: 'injected', pod: { injected: true, current: true, foreign: [] } });
    const audit = await runCli(['audit', '-n', namespace, '-o', 'json']);
    t.equal(audit.code, 0, 'audit: exit 0, nothing to report', { stdout: audit.stdout, stderr: audit.stderr });
  });

  let dryRun: KubeObject | undefined;
  t.test('kubectl --dry-run=server shows the same', async (t) => {
    const pod = await kubectlJson(['create', '-f', '-', '--dry-run=server'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probed-dry', namespace, labels: { app: 'probed' }, annotations: PROXY_CONFIG_ANNOTATIONS }, spec: probedSpec() }),
    }) as KubeObject;
    assertIstioInjected(t, pod, 'dry-run pod');
    dryRun = pod;
  });

  t.test('a pod an older release injected, submitted again: this release\'s proxy, the old-only env kept, volumes reordered by the apiserver', async (t) => {
    if (!dryRun) return t.fail('needs the dry-run pod');
    const fresh = dryRun;
    const old = olderInjection(fresh);
    const pod = await kubectlJson(['create', '-f', '-', '--dry-run=server'], { input: JSON.stringify(old) }) as KubeObject;
    t.same(containerNames(pod), ['app', 'istio-proxy']);
    t.same(initContainerNames(pod), ['migrate', 'istio-init']);
    t.equal(container(pod, 'istio-proxy')?.image, container(fresh, 'istio-proxy')?.image, 'the proxy runs this release\'s image, not proxyv2:old');
    t.equal(container(pod, 'istio-init')?.image, container(fresh, 'istio-init')?.image, 'so does istio-init');
    const env = (container(pod, 'istio-proxy')?.env ?? []) as Array<{ name: string; value?: string }>;
    t.equal(env[0]?.name, 'OLD_ONLY', 'an entry only the old injection has stays where it was');
    t.not(env.find((e) => e.name === 'ISTIO_META_CLUSTER_ID')?.value, 'old', 'the template\'s value wins');
    t.same(volumeNames(pod), [...volumeNames(fresh), 'data'], 'the volume the old injection lacked among the injected ones, the app\'s after them');
  });

  t.test('metrics merge: the apiserver applies the removal of the pod\'s scrape annotations; scraping goes to the agent', async (t) => {
    const annotations = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'prometheus_io/path': '/metrics' };
    const pod = await kubectlJson(['create', '-f', '-', '--dry-run=server'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'scraped', namespace, annotations }, spec: probedSpec() }),
    }) as KubeObject;
    const stored = pod.metadata.annotations ?? {};
    t.same([stored['prometheus.io/port'], stored['prometheus.io/path'], stored['prometheus.io/scrape']], ['15020', '/stats/prometheus', 'true'], 'pointed at the agent');
    t.notOk('prometheus_io/path' in stored, 'the other spelling is gone');
    const proxy = container(pod, 'istio-proxy');
    const env = new Map<string, string>((proxy?.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value ?? '']));
    t.same(JSON.parse(env.get('ISTIO_PROMETHEUS_ANNOTATIONS') ?? 'null'), { scrape: 'true', path: '/metrics', port: '9090' }, 'the agent scrapes the app where the pod said');
  });

  t.test('grpc-agent: the agent alone beside the app, the app\'s probes its own; the apiserver takes the source-less volumes', async (t) => {
    const pod = await kubectlJson(['create', '-f', '-', '--dry-run=server'], {
      input: JSON.stringify({
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: 'grpc', namespace, annotations: { 'inject.istio.io/templates': 'grpc-agent' } },
        spec: { serviceAccountName: 'default', containers: [{ name: 'app', image: APP_IMAGE, readinessProbe: { httpGet: { path: '/ready', port: 8080 } } }] },
      }),
    }) as KubeObject;
    t.same(containerNames(pod), ['app', 'istio-proxy']);
    t.same(initContainerNames(pod), [], 'no capture');
    const app = container(pod, 'app');
    t.match(app?.readinessProbe?.httpGet, { path: '/ready', port: 8080 }, 'the app answers its own probe');
    t.ok((app?.env ?? []).some((e: { name: string }) => e.name === 'GRPC_XDS_BOOTSTRAP'), 'the app is pointed at the agent\'s bootstrap');
    const volumes = (pod.spec?.volumes ?? []) as Array<{ name: string; emptyDir?: unknown }>;
    t.ok(volumes.find((v) => v.name === 'workload-socket')?.emptyDir, 'a volume rendered without a source is stored as an emptyDir');
  });

  t.test('an istio-proxy override written before the app, with hold: stored first, merged with the rendered proxy', async (t) => {
    const pod = await kubectlJson(['create', '-f', '-', '--dry-run=server'], {
      input: JSON.stringify({
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: 'held', namespace, annotations: { 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true' } },
        spec: { serviceAccountName: 'default', containers: [{ name: 'app', image: APP_IMAGE }, { name: 'istio-proxy', image: 'auto', resources: { limits: { memory: '2Gi' } } }] },
      }),
    }) as KubeObject;
    t.same(containerNames(pod), ['istio-proxy', 'app'], 'the proxy first, so the app waits for it');
    const proxy = container(pod, 'istio-proxy');
    t.match(proxy?.image, /proxyv2/, 'image auto is the rendered one');
    t.equal(proxy?.resources?.limits?.memory, '2Gi', 'the override wins');
    t.same(proxy?.lifecycle?.postStart?.exec?.command?.slice(0, 2), ['pilot-agent', 'wait'], 'the hold hook');
  });

  t.test('quantities: the apiserver stores each as canonicalQuantity writes an override\'s', async (t) => {
    const plain = await scenarioNamespace(t, 'istio-quantities');
    // Nothing below milli: the apiserver rounds a pod's resources up to milli besides (100u is stored as 1m).
    const written = ['3000m', '1500m', '0.5', '1000', '100Mi', '1.5Gi', '0.5Ki', '1e3', '1.5e3', '1E3', '1024Mi', '2048Ki', '1Ki',
      '1000k', '1.0', '.5', '5.', '10e-1', '+1', '1024', '12e6', '1000Mi', '0m', '0', '7', '250m', '1.25', '3e-3'];
    const pod = await kubectlJson(['create', '-f', '-', '--dry-run=server'], {
      input: JSON.stringify({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'quantities', namespace: plain },
        spec: { serviceAccountName: 'default', containers: written.map((cpu, i) => ({ name: `c${i}`, image: APP_IMAGE, resources: { limits: { cpu } } })) },
      }),
    }) as KubeObject;
    const stored = (pod.spec?.containers as Array<{ resources: { limits: { cpu: string } } }>).map((c) => c.resources.limits.cpu);
    t.same(stored, written.map(canonicalQuantity));
  });

  t.test('a remote cluster\'s webhook URL (/inject/cluster/<id>/net/<network>): the apiserver calls it, the proxy gets that cluster and network', async (t) => {
    const live = await kubectlJson(['get', 'mutatingwebhookconfiguration', WEBHOOK_CONFIGURATION]) as KubeObject & { webhooks: Array<{ clientConfig: { url: string } }> };
    const { resourceVersion: _rv, uid: _uid, managedFields: _mf, creationTimestamp: _ct, generation: _g, ...metadata } = live.metadata as Record<string, unknown>;
    const original = { ...live, metadata } as unknown as KubeObject;
    t.teardown(() => applyObjects([original]));
    const remote = structuredClone(original) as typeof live;
    for (const webhook of remote.webhooks) webhook.clientConfig.url = `${webhook.clientConfig.url}/cluster/remote--slash--1/net/net-east`;
    await applyObjects([remote]);
    const pod = await waitFor('a pod injected through the remote path', async () => {
      const p = await kubectlJson(['create', '-f', '-', '--dry-run=server'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'remote', namespace }, spec: probedSpec() }),
      }) as KubeObject;
      return p.metadata.labels?.['topology.istio.io/network'] ? p : undefined;
    }, { timeoutMs: 60_000 });
    const env = (container(pod, 'istio-proxy')?.env ?? []) as Array<{ name: string; value?: string }>;
    t.same(env.slice(-2), [{ name: 'ISTIO_META_CLUSTER_ID', value: 'remote/1' }, { name: 'ISTIO_META_NETWORK', value: 'net-east' }], 'last in the proxy\'s env');
    t.equal(pod.metadata.labels?.['topology.istio.io/network'], 'net-east', 'and the network on the pod');
  });

  // Last: it edits the served ConfigMap (put back when the scenario ends).
  t.test('Istio CNI on OpenShift, set in the ConfigMap: the apiserver stores istio-validation with the namespace\'s IDs and the CNI annotations', async (t) => {
    const configMap = rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'sidecar-injector-istio')!;
    const data = (configMap as KubeObject & { data: Record<string, string> }).data;
    const shipped = data['config.yaml']!;
    const edited = shipped.replace(/^ {4}cni:\n {6}enabled: false\n {6}provider: default$/m, '    cni:\n      enabled: true\n      provider: multus')
      .replace(/^ {4}platform: ""$/m, '    platform: openshift');
    t.not(edited.indexOf('provider: multus'), -1, 'the edit turns Istio CNI on');
    t.not(edited.indexOf('platform: openshift'), -1, 'and OpenShift');
    t.teardown(() => applyObjects([configMap]));
    await applyObjects([{ ...configMap, data: { ...data, 'config.yaml': edited } }]);
    const openshift = await scenarioNamespace(t, 'istio-openshift', {
      labels: ISTIO_LABELS, annotations: { 'openshift.io/sa.scc.uid-range': '1000620000/10000', 'openshift.io/sa.scc.supplemental-groups': '1000700000/10000' },
    });
    const submit = () => kubectlJson(['create', '-f', '-', '--dry-run=server'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'cni', namespace: openshift, annotations: { 'k8s.v1.cni.cncf.io/networks': 'alt' } }, spec: probedSpec() }),
    }) as Promise<KubeObject>;
    const pod = await waitFor('a pod injected with the edited ConfigMap', async () => {
      const p = await submit();
      return initContainerNames(p).includes('istio-validation') ? p : undefined;
    }, { timeoutMs: 60_000 });
    t.same(initContainerNames(pod), ['migrate', 'istio-validation'], 'istio-validation in place of istio-init');
    const validation = container(pod, 'istio-validation');
    t.match(validation?.securityContext, { runAsUser: 1000629999, runAsGroup: 1000709999, runAsNonRoot: true }, 'runs as the top of the namespace\'s ranges');
    t.notOk(validation?.securityContext?.capabilities?.add, 'without NET_ADMIN: the CNI plugin sets up the capture');
    t.same(validation?.args?.slice(-2), ['--run-validation', '--skip-rule-apply']);
    t.match(container(pod, 'istio-proxy')?.securityContext, { runAsUser: 1000629999, runAsGroup: 1000709999 }, 'so does the proxy');
    const annotations = pod.metadata.annotations ?? {};
    t.equal(annotations['k8s.v1.cni.cncf.io/networks'], 'alt, default/istio-cni', 'the pod\'s Multus networks with istio-cni added');
    t.match(annotations, { 'sidecar.istio.io/interceptionMode': 'REDIRECT', 'traffic.sidecar.istio.io/excludeInboundPorts': '15020' }, 'the capture settings the plugin reads');
  });

  t.test('a namespace without istio-injection=enabled is left alone', async (t) => {
    const other = await scenarioNamespace(t, 'istio-off');
    const pod = await kubectlJson(['create', '-f', '-', '--dry-run=server'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'plain', namespace: other }, spec: probedSpec() }),
    }) as KubeObject;
    t.same(containerNames(pod), ['app'], 'no istio-proxy');
  });
});
