// The render cache under the istio profile: a hit never computes the `istio` context, so
// the key holds what that context is computed from. Two pods that could render differently
// never share an entry; replicas of one workload (differing in name and uid) do; and
// proxy.istio.io/config is checked on every request, hit or miss.
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { compileSnapshot } from '../../../src/config/compile.js';
import { evaluatePod, type EngineEnvironment } from '../../../src/injection/engine.js';
import { proxyConfigProblem } from '../../../src/injection/istio/config-defaults.js';
import { renderCacheOf } from '../../../src/injection/render-cache.js';
import { renderTemplatesCached, templateContext } from '../../../src/injection/render.js';
import type { Container, NamespaceView, Pod, Snapshot } from '../../../src/injection/types.js';
import { readConfigFiles, TEMPLATES_DIR } from '../../support/config.js';

const files = readConfigFiles(join(TEMPLATES_DIR, 'profiles', 'istio'));
const fresh = (): Snapshot => compileSnapshot(files);
const NAMESPACE: NamespaceView = { name: 'shop', labels: { 'istio-injection': 'enabled' }, annotations: {} };
const request = { kind: 'Pod', operation: 'CREATE' };
const CLUSTER: EngineEnvironment = { cluster: { kubernetesVersion: '1.33', oldestKubeletVersion: null } };
const runs = Number(process.env.PROPERTY_RUNS ?? 100);

interface PodShape {
  name?: string;
  uid?: string;
  hash?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers?: Container[];
  initContainers?: Container[];
  serviceAccountName?: string;
}

/** A Deployment's pod (a ReplicaSet named after its pod-template-hash owns it). */
function pod(shape: PodShape = {}): Pod {
  const hash = shape.hash ?? '5f7c9';
  return {
    metadata: {
      ...(shape.name === undefined ? {} : { name: shape.name }),
      ...(shape.uid === undefined ? {} : { uid: shape.uid }),
      generateName: `web-${hash}-`,
      labels: { app: 'web', 'pod-template-hash': hash, ...shape.labels },
      annotations: { ...shape.annotations },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web-${hash}`, controller: true }],
    } as Pod['metadata'],
    spec: {
      ...(shape.serviceAccountName === undefined ? {} : { serviceAccountName: shape.serviceAccountName }),
      ...(shape.initContainers === undefined ? {} : { initContainers: shape.initContainers }),
      containers: shape.containers ?? [{
        name: 'web', image: 'web:1', ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
      }],
    },
  };
}

const inject = (p: Pod, snapshot: Snapshot, env: EngineEnvironment = CLUSTER) => evaluatePod(p, NAMESPACE, snapshot, request, env);
const proxyOf = (outcome: ReturnType<typeof inject>): Container => {
  const added = outcome.plan!.fragment;
  return [...added.initContainers, ...added.containers].find((c) => c.name === 'istio-proxy')!;
};
const env = (c: Container, name: string) => (c.env as Array<{ name: string; value?: string }>).find((e) => e.name === name)?.value;

t.test('replicas differing only in name, uid and ReplicaSet share one rendering', async (t) => {
  const snapshot = fresh();
  const first = inject(pod({ name: 'web-5f7c9-abcde', uid: 'u-1' }), snapshot);
  const second = inject(pod({ name: 'web-5f7c9-fghij', uid: 'u-2' }), snapshot);
  const rollout = inject(pod({ name: 'web-77aa1-klmno', uid: 'u-3', hash: '77aa1' }), snapshot);
  t.equal(renderCacheOf(snapshot).size, 1, 'one entry for the three pods');
  t.equal(proxyOf(second), proxyOf(first), 'the same frozen istio-proxy');
  t.equal(proxyOf(rollout), proxyOf(first), 'a pod of the next ReplicaSet too: the same Deployment');
  t.equal(env(proxyOf(first), 'ISTIO_META_WORKLOAD_NAME'), 'web');
  t.same(second.patch, first.patch, 'identical patches');
});

t.test('pods differing in anything the istio context or the templates read get their own rendering', async (t) => {
  const snapshot = fresh();
  const base = inject(pod(), snapshot);
  const proxy = proxyOf(base);
  const variants: Array<[string, Pod, (c: Container, outcome: ReturnType<typeof inject>) => unknown]> = [
    ['a container port (ISTIO_META_POD_PORTS)', pod({ containers: [{ name: 'web', image: 'web:1', ports: [{ name: 'http', containerPort: 9090 }] }] }),
      (c) => env(c, 'ISTIO_META_POD_PORTS')],
    ['an app container (ISTIO_META_APP_CONTAINERS)', pod({ containers: [{ name: 'web', image: 'web:1' }, { name: 'cache', image: 'redis:7' }] }),
      (c) => env(c, 'ISTIO_META_APP_CONTAINERS')],
    ['the canonical name label', pod({ labels: { 'service.istio.io/canonical-name': 'shop' } }),
      (_c, o) => o.plan!.fragment.labels['service.istio.io/canonical-name']],
    ['the version label (canonical revision)', pod({ labels: { version: 'v2' } }),
      (_c, o) => o.plan!.fragment.labels['service.istio.io/canonical-revision']],
    ['the workload-name label', pod({ labels: { 'service.istio.io/workload-name': 'store' } }), (c) => env(c, 'ISTIO_META_WORKLOAD_NAME')],
    ['an annotation (proxy.istio.io/config)', pod({ annotations: { 'proxy.istio.io/config': 'concurrency: 2' } }), (c) => env(c, 'PROXY_CONFIG')],
    ['an annotation (status port)', pod({ annotations: { 'status.sidecar.istio.io/port': '15030' } }),
      (_c, o) => o.plan!.fragment.initContainers.find((i) => i.name === 'istio-init')!.args],
    ['the pod\'s own istio-proxy declaration', pod({
      containers: [{ name: 'web', image: 'web:1' }, { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 1500 } }],
    }), (_c, o) => o.plan!.fragment.initContainers.find((i) => i.name === 'istio-init')!.args],
    ['the service account', pod({ serviceAccountName: 'web' }), () => undefined],
  ];
  for (const [what, variant, read] of variants) {
    const before = renderCacheOf(snapshot).size;
    const outcome = inject(variant, snapshot);
    t.equal(renderCacheOf(snapshot).size, before + 1, `${what}: a new entry`);
    const expected = inject(variant, fresh());
    t.same(outcome.patch, expected.patch, `${what}: the same patch as a fresh render`);
    if (what !== 'the service account') t.not(read(proxyOf(outcome), outcome), read(proxy, base), `${what}: the rendering differs`);
  }
  const older = inject(pod(), snapshot, { cluster: { kubernetesVersion: '1.28', oldestKubeletVersion: null } });
  t.equal(proxyOf(older).restartPolicy, undefined, 'another cluster version (native sidecars off): its own rendering');
  t.equal(proxyOf(base).restartPolicy, 'Always');
  t.equal(proxyOf(inject(pod(), snapshot, {})).restartPolicy, undefined, 'an unknown cluster version too');
});

t.test('a pod whose proxy.istio.io/config is not a ProxyConfig is refused, even when its rendering is cached', async (t) => {
  const snapshot = fresh();
  const bad = pod({ annotations: { 'proxy.istio.io/config': 'interceptionMode: SPLICE' }, containers: [{ name: 'web', image: 'web:1' }] });
  // Put the pod's rendering in the cache as the engine would key it (no probes: no app probers);
  // the render itself does not check the annotation.
  const seeded = renderTemplatesCached(['sidecar'], snapshot, templateContext(bad, NAMESPACE, {}, snapshot, { ...CLUSTER, appProbers: [] }));
  t.equal(renderCacheOf(snapshot).size, 1, 'the bad pod\'s rendering is in the cache');
  t.equal(renderTemplatesCached(['sidecar'], snapshot, templateContext(bad, NAMESPACE, {}, snapshot, { ...CLUSTER, appProbers: [] })), seeded,
    'and is found again');
  for (let i = 1; i <= 2; i++) {
    const outcome = inject(bad, snapshot);
    t.match(outcome.denial, /cannot inject: proxy\.istio\.io\/config: interceptionMode must be one of REDIRECT, TPROXY, NONE/, `refused (${i})`);
    t.same(outcome.patch, []);
  }
  t.equal(renderCacheOf(snapshot).size, 1, 'nothing rendered for it');
  const good = pod({ annotations: { 'proxy.istio.io/config': 'interceptionMode: TPROXY' } });
  t.equal(inject(good, snapshot).denial, undefined, 'a valid one is injected');
  t.equal(inject(good, snapshot).denial, undefined, 'also from the cache');
});

t.test('a rendering from the cache equals one made afresh (istio profile)', async (t) => {
  const warm = fresh();
  const container = (name: string, port: number, probe: boolean): Container => ({
    name, image: `${name}:1`, ports: [{ name: 'http', containerPort: port }],
    ...(probe ? { livenessProbe: { httpGet: { path: '/live', port: 'http' } } } : {}),
  });
  // Few values per field, so generated pods often share a key with an earlier one; the
  // name, uid, ReplicaSet and `tier` label are read by nothing.
  const podArb = fc.record({
    name: fc.constantFrom(undefined, 'web-a', 'web-b'),
    uid: fc.constantFrom(undefined, 'u1', 'u2'),
    hash: fc.constantFrom('5f7c9', '77aa1'),
    labels: fc.constantFrom<Record<string, string>>({}, { tier: 'web' }, { version: 'v2' }),
    annotations: fc.constantFrom<Record<string, string>>(
      {}, { 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true' }, { 'proxy.istio.io/config': 'concurrency: x' },
    ),
    containers: fc.constantFrom<Container[]>(
      [container('web', 8080, true)],
      [container('web', 8081, false), { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 1500 } }],
    ),
    kubernetesVersion: fc.constantFrom('1.33', '1.28'),
  });
  let hits = 0;
  fc.assert(fc.property(podArb, ({ kubernetesVersion, ...shape }) => {
    const environment = { cluster: { kubernetesVersion, oldestKubeletVersion: null } };
    const before = renderCacheOf(warm).size;
    const cached = inject(pod(shape), warm, environment);
    if (renderCacheOf(warm).size === before && cached.plan) hits++;
    const afresh = inject(pod(shape), fresh(), environment);
    return isDeepStrictEqual(cached.patch, afresh.patch) && cached.denial === afresh.denial;
  }), { numRuns: runs, seed: 13 });
  t.ok(hits > runs / 4, `many pods were served from the cache (${hits} of ${runs})`);
});

t.test('each proxy.istio.io/config text is parsed once per mesh config, a bounded number kept', async (t) => {
  const { meshConfig } = fresh();
  const annotated = (text: string): Pod => pod({ annotations: { 'proxy.istio.io/config': text } });
  for (let i = 0; i < 100; i++) {
    t.equal(proxyConfigProblem(annotated(`concurrency: ${i}`), meshConfig!), undefined);
    t.match(proxyConfigProblem(annotated(`concurrency: "n${i}"`), meshConfig!), /concurrency must be a number/);
  }
  t.match(proxyConfigProblem(annotated('concurrency: "n0"'), meshConfig!), /concurrency must be a number/, 'an evicted text is parsed again');
  t.equal(proxyConfigProblem(pod(), meshConfig!), undefined, 'no annotation: the mesh default');
});
