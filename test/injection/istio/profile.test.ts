// The built-in istio profile (templates/profiles/istio) on a typical Deployment pod: what
// Istio's injector adds, on a cluster with native sidecars and on an older one. The full
// comparison with Istio's goldens is test/istio/parity.test.ts (`npm run test:istio`).
import t from 'tap';
import { compileSnapshot } from '../../../src/config/compile.js';
import { applyOutcome, evaluatePod } from '../../../src/injection/engine.js';
import type { Container, Pod } from '../../../src/injection/types.js';
import { readConfigFiles, TEMPLATES_DIR } from '../../support/config.js';
import { join } from 'node:path';
import jsonpatch from 'fast-json-patch';
import { applySetFlags } from '../../../src/cli/config-flags.js';

const snapshot = compileSnapshot(readConfigFiles(join(TEMPLATES_DIR, 'profiles', 'istio')));
const NAMESPACE = { name: 'shop', labels: { 'istio-injection': 'enabled' }, annotations: {} };

function pod(annotations: Record<string, string> = {}): Pod {
  return {
    metadata: {
      generateName: 'web-5f7c9-', labels: { app: 'web', 'pod-template-hash': '5f7c9' }, annotations,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5f7c9', controller: true }],
    } as Pod['metadata'],
    spec: {
      initContainers: [{ name: 'migrate', image: 'migrate:1' }],
      containers: [{
        name: 'web', image: 'web:1', ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
      }],
    },
  };
}

function inject(p: Pod, kubernetesVersion: string) {
  const outcome = evaluatePod(p, NAMESPACE, snapshot, { kind: 'Pod', operation: 'CREATE' }, { cluster: { kubernetesVersion, oldestKubeletVersion: null } });
  return { outcome, pod: applyOutcome(p, outcome) };
}

const env = (c: Container | undefined, name: string) => (c?.env as Array<{ name: string; value?: string }> | undefined)?.find((e) => e.name === name)?.value;

t.test('on a 1.33 cluster: native istio-proxy first, Istio env, labels and annotations', async (t) => {
  const { outcome, pod: out } = inject(pod(), '1.33');
  t.equal(outcome.denial, undefined);
  const inits = out.spec!.initContainers!;
  t.same(inits.map((c) => c.name), ['istio-init', 'istio-proxy', 'migrate']);
  const proxy = inits[1];
  t.equal(proxy.restartPolicy, 'Always');
  t.equal(proxy.image, 'registry.istio.io/testing/proxyv2:latest');
  t.same((proxy.args as string[]).slice(0, 2), ['proxy', 'sidecar']);
  t.equal(env(proxy, 'PROXY_CONFIG'), '{}\n');
  t.equal(env(proxy, 'ISTIO_META_POD_PORTS'), '[\n    {"name":"http","containerPort":8080}\n]');
  t.equal(env(proxy, 'ISTIO_META_APP_CONTAINERS'), 'web');
  t.equal(env(proxy, 'ISTIO_META_WORKLOAD_NAME'), 'web');
  t.equal(env(proxy, 'ISTIO_META_OWNER'), 'kubernetes://apis/apps/v1/namespaces/shop/deployments/web');
  t.equal(env(proxy, 'TRUST_DOMAIN'), 'cluster.local');
  t.same(JSON.parse(env(proxy, 'ISTIO_KUBE_APP_PROBERS')!), { '/app-health/web/readyz': { httpGet: { path: '/ready', port: 8080 } } });
  t.same(out.spec!.containers[0].readinessProbe, { httpGet: { path: '/app-health/web/readyz', port: 15020 } });
  const meta = out.metadata!;
  t.equal(meta.labels!['security.istio.io/tlsMode'], 'istio');
  t.equal(meta.labels!['service.istio.io/canonical-name'], 'web');
  t.equal(meta.annotations!['prometheus.io/port'], '15020');
  t.same(JSON.parse(meta.annotations!['sidecar.istio.io/status']), {
    initContainers: ['istio-init', 'istio-proxy'], containers: null, imagePullSecrets: null, revision: 'default',
    volumes: ['workload-socket', 'credential-socket', 'workload-certs', 'istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert', 'istio-ca-crl'],
  });
});

t.test('on a 1.28 cluster: classic sidecar, istio-init after the app init containers; hold puts the proxy first', async (t) => {
  const { pod: out } = inject(pod({ 'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts": true}' }), '1.28');
  t.same(out.spec!.initContainers!.map((c) => c.name), ['migrate', 'istio-init']);
  t.same(out.spec!.containers.map((c) => c.name), ['istio-proxy', 'web']);
  const proxy = out.spec!.containers[0];
  t.same(proxy.lifecycle, { postStart: { exec: { command: ['pilot-agent', 'wait'] } } });
  t.same(JSON.parse(env(proxy, 'PROXY_CONFIG')!), { holdApplicationUntilProxyStarts: true });
});

t.test('annotations Istio reads: TPROXY, resources, user volumes, invalid ProxyConfig', async (t) => {
  const { pod: out } = inject(pod({
    'sidecar.istio.io/interceptionMode': 'TPROXY', 'sidecar.istio.io/proxyCPU': '2000m',
    'sidecar.istio.io/userVolume': '{"extra": {"emptyDir": {}}}',
    'sidecar.istio.io/userVolumeMount': '{"extra": {"mountPath": "/extra"}}',
  }), '1.33');
  const proxy = out.spec!.initContainers!.find((c) => c.name === 'istio-proxy')!;
  t.same((proxy.securityContext as { capabilities: unknown }).capabilities, { add: ['NET_ADMIN'], drop: ['ALL'] });
  t.same(proxy.resources, { requests: { cpu: '2' } });
  t.ok((proxy.volumeMounts as Array<{ name: string }>).some((m) => m.name === 'extra'));
  t.ok(out.spec!.volumes!.some((v) => v.name === 'extra'));
  const refused = inject(pod({ 'proxy.istio.io/config': 'interceptionMode: SPLICE' }), '1.33').outcome;
  t.match(refused.denial, /proxy.istio.io\/config: interceptionMode must be one of/);
});

t.test('the gateway template: the pod declares istio-proxy (image auto), no capture', async (t) => {
  const gw: Pod = {
    metadata: { name: 'gw', labels: { istio: 'ingressgateway' }, annotations: { 'inject.istio.io/templates': 'gateway' } },
    spec: { containers: [{ name: 'istio-proxy', image: 'auto' }] },
  };
  const { outcome, pod: out } = inject(gw, '1.33');
  t.equal(outcome.denial, undefined);
  t.same(out.spec!.initContainers ?? [], []);
  const proxy = out.spec!.containers[0];
  t.equal(proxy.image, 'registry.istio.io/testing/proxyv2:latest');
  t.same((proxy.args as string[]).slice(0, 2), ['proxy', 'router']);
  t.equal(out.metadata!.annotations!['proxy.istio.io/overrides'], '{"containers":[{"name":"istio-proxy","resources":{}}]}');
  t.notOk('kubectl.kubernetes.io/default-container' in out.metadata!.annotations!, 'istio-proxy is never the default container');
});

t.test('one snapshot, one pod, two clusters: the render cache keeps them apart', async (t) => {
  const p = pod();
  const older = inject(p, '1.28').pod;
  const newer = inject(p, '1.33').pod;
  t.ok(older.spec!.containers.some((c) => c.name === 'istio-proxy'), '1.28: istio-proxy is a container');
  t.ok(newer.spec!.initContainers!.some((c) => c.name === 'istio-proxy' && c.restartPolicy === 'Always'), '1.33: a native sidecar');
  t.ok(inject(p, '1.28').pod.spec!.containers.some((c) => c.name === 'istio-proxy'), '1.28 again, from the cache: still a container');
});

t.test('a pod that declares istio-proxy as a container, native sidecars on: the declaration moves', async (t) => {
  const p = pod();
  p.spec!.containers.push({ name: 'istio-proxy', image: 'auto', resources: { limits: { memory: '2Gi' } } });
  const { outcome, pod: out } = inject(p, '1.33');
  t.equal(outcome.denial, undefined);
  t.same(out.spec!.containers.map((c) => c.name), ['web'], 'gone from containers');
  const proxy = out.spec!.initContainers!.find((c) => c.name === 'istio-proxy');
  t.equal(proxy?.restartPolicy, 'Always');
  t.match((proxy?.resources as { limits?: unknown } | undefined)?.limits, { memory: '2Gi' }, 'the override merged in');
  t.same(outcome.patch.filter((op) => op.op === 'remove'), [{ op: 'remove', path: '/spec/containers/1' }], 'removed by one remove op');
});

t.test('pull secrets from values: any Secret name, before the pod\'s own (as Istio), each once; patch and pod agree', async (t) => {
  const withSecrets = compileSnapshot(applySetFlags(readConfigFiles(join(TEMPLATES_DIR, 'profiles', 'istio')), ['values.global.imagePullSecrets=["barSecret","registry.example.com-creds","own"]']));
  const input = pod();
  input.spec!.imagePullSecrets = [{ name: 'own' }];
  const outcome = evaluatePod(input, NAMESPACE, withSecrets, { kind: 'Pod', operation: 'CREATE' }, { cluster: { kubernetesVersion: '1.33', oldestKubeletVersion: null } });
  t.equal(outcome.denial, undefined);
  const injected = applyOutcome(input, outcome);
  t.same(injected.spec!.imagePullSecrets, [{ name: 'barSecret' }, { name: 'registry.example.com-creds' }, { name: 'own' }]);
  t.same(jsonpatch.applyPatch(structuredClone(input), outcome.patch as jsonpatch.Operation[]).newDocument.spec!.imagePullSecrets, injected.spec!.imagePullSecrets);
});

t.test('metrics merge: the pod\'s scrape annotations move into the proxy, Prometheus goes to the agent; patch and pod agree', async (t) => {
  const input = pod({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'prometheus-io/path': '/m' });
  const { outcome, pod: out } = inject(input, '1.33');
  t.equal(outcome.denial, undefined);
  const annotations = out.metadata!.annotations!;
  t.same([annotations['prometheus.io/port'], annotations['prometheus.io/path'], annotations['prometheus.io/scrape']], ['15020', '/stats/prometheus', 'true']);
  t.notOk('prometheus-io/path' in annotations, 'every spelling is taken away');
  const proxy = out.spec!.initContainers!.find((c) => c.name === 'istio-proxy');
  t.equal(env(proxy, 'ISTIO_PROMETHEUS_ANNOTATIONS'), '{"scrape":"true","path":"/m","port":"9090"}');
  const names = (proxy!.env as Array<{ name: string }>).map((e) => e.name);
  t.ok(names.indexOf('ISTIO_PROMETHEUS_ANNOTATIONS') < names.indexOf('ISTIO_KUBE_APP_PROBERS'), 'before the probers, as Istio adds them');
  const patched = jsonpatch.applyPatch(structuredClone(input), outcome.patch as jsonpatch.Operation[]).newDocument;
  t.same(patched.metadata!.annotations, annotations);
  const refused = inject(pod({ 'prometheus.io/port': '15000' }), '1.33').outcome;
  t.match(refused.denial, /^cannot inject: invalid prometheus scrape configuration: port 15000 is reserved for Istio \(Envoy admin\)/);
  const off = inject(pod({ 'prometheus.io/port': '9090', 'prometheus.istio.io/merge-metrics': 'false' }), '1.33').pod;
  t.equal(off.metadata!.annotations!['prometheus.io/port'], '9090', 'merge off: the pod\'s own stay');
});
