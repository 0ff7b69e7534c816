// The pure parts of the istio profile's platform features: Istio CNI's annotations and
// Multus networks (cni.ts), the proxy's IDs on OpenShift (proxy-ids.ts), the cluster and
// network env (cluster-env.ts) and OpenTelemetry's service attributes (otel.ts), each
// against what Istio's Go code computes for the same input.
import t from 'tap';
import { appendMultusNetwork, cniAnnotations } from '../../../src/injection/istio/cni.js';
import { clusterEnv, withClusterInfo } from '../../../src/injection/istio/cluster-env.js';
import { imageTagDigest, otelResourceAttributes, usesOtelSemanticConventions } from '../../../src/injection/istio/otel.js';
import { blockEnd, proxyIds, resetsProxyUser, withoutUser } from '../../../src/injection/istio/proxy-ids.js';
import { emptyFragment } from '../../../src/injection/fragment.js';

const proxyValues = { includeIPRanges: '*', excludeIPRanges: '', includeInboundPorts: '*', includeOutboundPorts: '', excludeOutboundPorts: '' };
const cni = (provider = 'default', proxy: Record<string, string> = {}) => ({ pilot: { cni: { enabled: true, provider } }, global: { proxy: { ...proxyValues, ...proxy } } });

t.test('appendMultusNetwork: flat and JSON lists, as Istio appends to them', async (t) => {
  const net = 'default/istio-cni';
  t.equal(appendMultusNetwork('', net), net, 'none yet: the network alone');
  t.equal(appendMultusNetwork('alt_cni', net), 'alt_cni, default/istio-cni');
  t.equal(appendMultusNetwork('alt_cni, default/istio-cni ', net), 'alt_cni, default/istio-cni ', 'already listed: unchanged');
  t.equal(appendMultusNetwork('[{"name": "a"}]', net), '[{"name": "a"}, {"name": "istio-cni", "namespace": "default"}]');
  t.equal(appendMultusNetwork('[{"name": "a"}]', 'istio-cni'), '[{"name": "a"}, {"name": "istio-cni"}]', 'no namespace');
  t.equal(appendMultusNetwork('[{"name":"istio-cni","namespace":"default"}]', net), '[{"name":"istio-cni","namespace":"default"}]', 'already listed');
  t.equal(appendMultusNetwork('[{"name":"istio-cni"}]', net), '[{"name":"istio-cni"}, {"name": "istio-cni", "namespace": "default"}]', 'another namespace');
  t.equal(appendMultusNetwork('[{"name": oops]', net), '[{"name": oops]', 'not JSON: left as it is');
  t.equal(appendMultusNetwork('[1, 2]', net), '[1, 2]', 'not a list of objects: left as it is');
});

t.test('cniAnnotations: the capture settings the CNI plugin reads, only with Istio CNI', async (t) => {
  t.same(cniAnnotations({}, { pilot: { cni: { enabled: false } } }, 'REDIRECT', '15020'), {});
  t.same(cniAnnotations({}, cni(), 'REDIRECT', '15020'), {
    'sidecar.istio.io/interceptionMode': 'REDIRECT',
    'traffic.sidecar.istio.io/includeOutboundIPRanges': '*',
    'traffic.sidecar.istio.io/includeInboundPorts': '*',
    'traffic.sidecar.istio.io/excludeInboundPorts': '15020',
  }, 'empty ranges and port lists are left out');
  const pod = {
    'sidecar.istio.io/interceptionMode': 'TPROXY', 'traffic.sidecar.istio.io/includeOutboundIPRanges': '',
    'traffic.sidecar.istio.io/excludeOutboundPorts': '', 'traffic.sidecar.istio.io/excludeInterfaces': 'eth1',
    'istio.io/reroute-virtual-interfaces': '', 'k8s.v1.cni.cncf.io/networks': 'alt',
  };
  t.same(cniAnnotations(pod, cni('multus', { excludeIPRanges: '10.0.0.0/8', includeOutboundPorts: '443' }), 'REDIRECT', '15020,9000'), {
    'k8s.v1.cni.cncf.io/networks': 'alt, default/istio-cni',
    'sidecar.istio.io/interceptionMode': 'TPROXY',
    'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/8',
    'traffic.sidecar.istio.io/includeInboundPorts': '*',
    'traffic.sidecar.istio.io/excludeInboundPorts': '15020,9000',
    'traffic.sidecar.istio.io/includeOutboundPorts': '443',
    'traffic.sidecar.istio.io/excludeOutboundPorts': '',
    'traffic.sidecar.istio.io/excludeInterfaces': 'eth1',
  }, 'the pod\'s own win, even empty; an empty annotation of the pod stands for an empty range; empty interfaces are not copied');
});

t.test('blockEnd: OpenShift blocks as Istio reads them (uint32, start/size or start-end)', async (t) => {
  t.equal(blockEnd('1000620000/10000'), 1000629999);
  t.equal(blockEnd('1000-1009'), 1009);
  t.equal(blockEnd(' 5/ 2 trailing'), 6, 'spaces before numbers, text after them');
  t.equal(blockEnd('0/0'), 0xffffffff, 'size 0 wraps around as uint32');
  for (const bad of ['', 'abc', '5', '5/', '-5/2', '4294967296/1', '5-6/7']) t.equal(blockEnd(bad), undefined, JSON.stringify(bad));
});

t.test('proxyIds: 1337 unless on OpenShift; there the tops of the namespace\'s ranges', async (t) => {
  const ns = { 'openshift.io/sa.scc.uid-range': '1000620000/10000', 'openshift.io/sa.scc.supplemental-groups': '2000/10,3000/10' };
  t.equal(proxyIds({}, ns), undefined, 'not OpenShift');
  const os = { global: { platform: 'openshift' } };
  t.same(proxyIds(os, ns), { uid: 1000629999, gid: 2009 }, 'the first group block');
  t.same(proxyIds({ platform: 'openshift' }, ns), { uid: 1000629999, gid: 2009 }, 'the chart\'s top-level platform too');
  t.same(proxyIds(os, { 'openshift.io/sa.scc.uid-range': '100/10' }), { uid: 109, gid: 109 }, 'groups fall back to the UID range');
  t.same(proxyIds(os, { 'openshift.io/sa.scc.uid-range': 'x', 'openshift.io/sa.scc.supplemental-groups': '2000/10,bad' }), { uid: 1337, gid: 1337 }, 'unreadable: the defaults');
  t.same(proxyIds(os, undefined), { uid: 1337, gid: 1337 });
});

t.test('resetsProxyUser: on OpenShift, a declared proxy running as the app loses its user', async (t) => {
  const os = { global: { platform: 'openshift' } };
  const app = (user?: number) => ({ name: 'app', securityContext: user === undefined ? {} : { runAsUser: user } });
  const proxy = (context?: Record<string, number>) => ({ name: 'istio-proxy', ...(context ? { securityContext: context } : {}) });
  t.ok(resetsProxyUser(os, [app(5), proxy({ runAsUser: 5 })]), 'same user');
  t.ok(resetsProxyUser(os, [app(), proxy({ runAsGroup: 7 })]), 'neither sets one: both 0');
  t.notOk(resetsProxyUser(os, [app(5), proxy({ runAsUser: 6 })]), 'another user is kept');
  t.notOk(resetsProxyUser(os, [app(5), proxy()]), 'no securityContext: nothing to reset');
  t.notOk(resetsProxyUser({}, [app(5), proxy({ runAsUser: 5 })]), 'not OpenShift');
  t.ok(resetsProxyUser(os, [app(5), { name: 'istio-init', securityContext: { runAsUser: 0 } }, proxy({ runAsUser: 5 })]), 'istio-init is not the app');
  t.same(withoutUser({ name: 'p', securityContext: { runAsUser: 5, runAsGroup: 6, privileged: false } }), { name: 'p', securityContext: { privileged: false } });
});

t.test('clusterEnv and withClusterInfo: set cluster and network move last in istio-proxy\'s env', async (t) => {
  const values = { global: { multiCluster: { clusterName: 'c1' }, network: 'n1' } };
  t.same(clusterEnv(values, {}), [{ name: 'ISTIO_META_CLUSTER_ID', value: 'c1' }, { name: 'ISTIO_META_NETWORK', value: 'n1' }]);
  t.same(clusterEnv(values, { 'topology.istio.io/network': 'mine' })[1], { name: 'ISTIO_META_NETWORK', value: 'mine' }, 'the pod\'s label wins');
  t.same(clusterEnv(values, { 'topology.istio.io/network': '' }), [{ name: 'ISTIO_META_CLUSTER_ID', value: 'c1' }], 'even empty');
  t.same(clusterEnv({}, {}), []);
  t.same(clusterEnv(values, {}, { ISTIO_META_CLUSTER_ID: 'p1', ISTIO_META_NETWORK: '', ZED: 'z', ALPHA: 'a' }), [
    { name: 'ALPHA', value: 'a' }, { name: 'ISTIO_META_CLUSTER_ID', value: 'p1' }, { name: 'ISTIO_META_NETWORK', value: 'n1' }, { name: 'ZED', value: 'z' },
  ], 'the path\'s env, sorted; an empty path value falls back to the chart\'s');
  t.same(clusterEnv({}, {}, { ISTIO_META_NETWORK: '' }), [{ name: 'ISTIO_META_NETWORK', value: '' }], 'kept empty when nothing else sets it, as istiod');
  const fragment = { ...emptyFragment(), initContainers: [{ name: 'istio-proxy', env: [{ name: 'ISTIO_META_NETWORK', value: 'old' }, { name: 'A', value: '1' }] }] };
  const done = withClusterInfo(fragment, clusterEnv(values, {}));
  t.same((done.initContainers[0].env as Array<{ name: string }>).map((e) => e.name), ['A', 'ISTIO_META_CLUSTER_ID', 'ISTIO_META_NETWORK']);
  t.same(done.labels, { 'topology.istio.io/network': 'n1' });
  t.equal(withClusterInfo(fragment, []), fragment, 'nothing set: the same fragment');
});

t.test('otelResourceAttributes: OpenTelemetry\'s Kubernetes service attributes', async (t) => {
  const semconv = { extensionProviders: [{ name: 'o', opentelemetry: { serviceAttributeEnrichment: 'OTEL_SEMANTIC_CONVENTIONS' } }] };
  t.ok(usesOtelSemanticConventions(semconv));
  t.notOk(usesOtelSemanticConventions({ extensionProviders: [{ name: 'o', opentelemetry: {} }] }));
  t.same(imageTagDigest('registry:5000/nginx:1.21@sha256:abc'), { tag: '1.21', digest: 'sha256:abc' });
  t.same(imageTagDigest('registry:5000/nginx'), { tag: '', digest: '' }, 'a registry port is no tag');
  const one = [{ name: 'web', image: 'nginx:1.21@sha256:abc' }];
  t.equal(otelResourceAttributes({}, {}, 'shop', one), 'service.namespace=shop,service.version=1.21@sha256:abc,service.instance.id=shop.$(POD_NAME).web');
  t.equal(otelResourceAttributes({}, { 'app.kubernetes.io/version': 'v2' }, 'shop', one), 'service.namespace=shop,service.version=v2,service.instance.id=shop.$(POD_NAME).web');
  t.equal(otelResourceAttributes({}, {}, 'shop', [...one, { name: 'b', image: 'b:1' }]), 'service.namespace=shop,service.instance.id=shop.$(POD_NAME).web', 'no version from two images');
  const own = { 'resource.opentelemetry.io/service.namespace': 'ns', 'resource.opentelemetry.io/service.version': 'v9', 'resource.opentelemetry.io/service.instance.id': 'i' };
  t.equal(otelResourceAttributes(own, {}, 'shop', one), 'service.namespace=ns,service.version=v9,service.instance.id=i');
  t.equal(otelResourceAttributes({}, {}, '', []), '');
});
