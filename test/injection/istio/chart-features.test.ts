// Chart values and ProxyConfig settings of Istio's templates that the corpus has no case
// for, each checked against what Istio's injection template renders for it: the proxy's
// seccomp profile, IPTABLES_TRACE_LOGGING, the ClusterTrustBundle CA volume and the
// secure-port annotation for ENVOY_SECURE_MERGED_METRICS_PORT; and the platform features
// (Istio CNI, OpenShift, FIPS, OTel) in the templates Istio's corpus has no case for.
import t from 'tap';
import { join } from 'node:path';
import { applySetFlags } from '../../../src/cli/config-flags.js';
import { compileSnapshot } from '../../../src/config/compile.js';
import { applyOutcome, evaluatePod } from '../../../src/injection/engine.js';
import type { Container, Pod } from '../../../src/injection/types.js';
import { readConfigFiles, TEMPLATES_DIR } from '../../support/config.js';

const NAMESPACE = { name: 'shop', labels: { 'istio-injection': 'enabled' }, annotations: { 'openshift.io/sa.scc.uid-range': '5000/10' } };

const snapshots = new Map<string, ReturnType<typeof compileSnapshot>>();

function inject(sets: string[], annotations: Record<string, string> = {}, containers: Container[] = [], proxyEnv?: Record<string, string>): Pod {
  const key = JSON.stringify(sets);
  if (!snapshots.has(key)) snapshots.set(key, compileSnapshot(applySetFlags(readConfigFiles(join(TEMPLATES_DIR, 'profiles', 'istio')), sets)));
  const pod: Pod = { metadata: { name: 'web', annotations }, spec: { containers: [{ name: 'web', image: 'web:1' }, ...containers] } };
  const request = { kind: 'Pod', operation: 'CREATE', ...(proxyEnv ? { proxyEnv } : {}) };
  const outcome = evaluatePod(pod, NAMESPACE, snapshots.get(key)!, request, { cluster: { kubernetesVersion: '1.28', oldestKubeletVersion: null } });
  if (outcome.denial) throw new Error(outcome.denial);
  return applyOutcome(pod, outcome);
}
const named = (list: Array<{ name: string }> | undefined, name: string): Record<string, any> => list!.find((c) => c.name === name)!;
const proxyOf = (pod: Pod): Record<string, any> => named(pod.spec!.containers, 'istio-proxy');

t.test('values.global.proxy.seccompProfile: on istio-init and istio-proxy', async (t) => {
  const plain = inject([]);
  t.notOk('seccompProfile' in proxyOf(plain).securityContext, 'none by default');
  const pod = inject(['values.global.proxy.seccompProfile.type=RuntimeDefault']);
  t.same(proxyOf(pod).securityContext.seccompProfile, { type: 'RuntimeDefault' });
  t.same(named(pod.spec!.initContainers, 'istio-init').securityContext.seccompProfile, { type: 'RuntimeDefault' });
});

t.test('IPTABLES_TRACE_LOGGING in the ProxyConfig: the proxy runs privileged, as root', async (t) => {
  const pod = inject([], { 'proxy.istio.io/config': 'proxyMetadata: {IPTABLES_TRACE_LOGGING: "true"}' });
  t.same(proxyOf(pod).securityContext, {
    allowPrivilegeEscalation: true, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, privileged: true,
    readOnlyRootFilesystem: true, runAsGroup: 1337, runAsNonRoot: false, runAsUser: 0,
  });
  t.equal(proxyOf(inject([])).securityContext.privileged, false, 'not without it');
});

t.test('pilot ENABLE_CLUSTER_TRUST_BUNDLE_API: istiod\'s CA from its ClusterTrustBundle, in every template', async (t) => {
  const bundle = (pod: Pod): unknown => named(pod.spec!.volumes, 'istiod-ca-cert');
  t.same(bundle(inject([])), { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } });
  const projected = (name: string): unknown => ({ name: 'istiod-ca-cert', projected: { sources: [{ clusterTrustBundle: { name, path: 'root-cert.pem' } }] } });
  t.same(bundle(inject(['values.pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true'])), projected('istio.io:istiod-ca:root-cert'));
  t.same(bundle(inject(['values.pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true', 'values.global.trustBundleName=mine'])), projected('istio.io:istiod-ca:mine'));
  for (const template of ['gateway', 'grpc-agent']) {
    t.same(bundle(inject(['values.pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true'], { 'inject.istio.io/templates': template })), projected('istio.io:istiod-ca:root-cert'), template);
  }
  t.notOk(inject(['values.global.pilotCertProvider=kubernetes']).spec!.volumes!.some((v) => v.name === 'istiod-ca-cert'), 'none when istiod is not the CA');
});

t.test('ENVOY_SECURE_MERGED_METRICS_PORT: prometheus.istio.io/secure-port, unless the pod says otherwise', async (t) => {
  const config = (port: string): Record<string, string> => ({ 'proxy.istio.io/config': `proxyMetadata: {ENVOY_SECURE_MERGED_METRICS_PORT: "${port}"}` });
  t.equal(inject([], config('15091')).metadata!.annotations!['prometheus.istio.io/secure-port'], '15091');
  t.notOk('prometheus.istio.io/secure-port' in inject([], config('0')).metadata!.annotations!, '"0" is off');
  t.notOk('prometheus.istio.io/secure-port' in inject([]).metadata!.annotations!, 'unset is off');
  const own = inject([], { ...config('15091'), 'prometheus_istio_io/secure-port': '1' }).metadata!.annotations!;
  t.notOk('prometheus.istio.io/secure-port' in own, 'the pod\'s own, in another spelling Istio matches, stands');
  const override = inject([], config('15091'), [{ name: 'istio-proxy', image: 'auto', env: [{ name: 'ENVOY_SECURE_MERGED_METRICS_PORT', value: '15092' }] }]);
  t.equal(override.metadata!.annotations!['prometheus.istio.io/secure-port'], '15092', 'the pod\'s istio-proxy env wins');
});

t.test('Istio CNI: istio-validation with the proxy\'s IDs, and the pod\'s Multus networks replaced', async (t) => {
  const pod = inject(['values.pilot.cni.enabled=true', 'values.pilot.cni.provider=multus'], { 'k8s.v1.cni.cncf.io/networks': 'alt' },
    [{ name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 2000, runAsGroup: 3000 } }]);
  const validation = named(pod.spec!.initContainers, 'istio-validation');
  t.match(validation.securityContext, { runAsUser: 2000, runAsGroup: 3000, runAsNonRoot: true, capabilities: { drop: ['ALL'] } }, 'the override\'s IDs');
  t.notOk('add' in validation.securityContext.capabilities, 'no NET_ADMIN');
  t.equal(pod.metadata!.annotations!['k8s.v1.cni.cncf.io/networks'], 'alt, default/istio-cni');
  const tproxy = inject(['values.pilot.cni.enabled=true'], { 'sidecar.istio.io/interceptionMode': 'TPROXY' }, [{ name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 2000 } }]);
  t.match(named(tproxy.spec!.initContainers, 'istio-validation').securityContext, { runAsUser: 1337, runAsGroup: 1337 }, 'TPROXY: 1337');
});

t.test('OpenShift: the proxy runs with the namespace\'s IDs, in every template', async (t) => {
  const openshift = ['values.global.platform=openshift'];
  t.match(proxyOf(inject(openshift)).securityContext, { runAsUser: 5009, runAsGroup: 5009 });
  t.match(proxyOf(inject([])).securityContext, { runAsUser: 1337, runAsGroup: 1337 }, 'not elsewhere');
  t.equal(named(inject(openshift).spec!.initContainers, 'istio-init').args[6], '5009', 'the capture exempts it');
  const gateway = inject(openshift, { 'inject.istio.io/templates': 'gateway' }, [{ name: 'istio-proxy', image: 'auto' }]);
  t.match(proxyOf(gateway).securityContext, { runAsUser: 5009, runAsGroup: 5009 });
  t.throws(() => inject(openshift, {}, [{ name: 'linkerd-proxy', image: 'l:1' }]), { message: /injected by Linkerd/ }, 'another mesh\'s proxy is still refused');
  t.throws(() => inject(openshift, {}, [{ name: 'side', image: 's:1', securityContext: { runAsUser: 5009 } }]), { message: /runs as UID 5009, the proxy's/ }, 'and an app at the proxy\'s UID there');
  const same = inject(openshift, {}, [{ name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 0, readOnlyRootFilesystem: false } }]);
  t.match(proxyOf(same).securityContext, { runAsUser: 5009, runAsGroup: 5009, readOnlyRootFilesystem: false }, 'a declared proxy running as the app loses its user, not the rest');
});

t.test('FIPS, OTel and the network: env and label as Istio writes them', async (t) => {
  const env = (pod: Pod): Array<{ name: string; value?: string }> => proxyOf(pod).env;
  const fips = env(inject(['values.pilot.env.COMPLIANCE_POLICY=fips-140-3']));
  t.same(fips.filter((e) => ['COMPLIANCE_POLICY', 'GODEBUG'].includes(e.name)), [{ name: 'COMPLIANCE_POLICY', value: 'fips-140-3' }, { name: 'GODEBUG', value: 'fips140=only' }]);
  const otel = inject(['meshConfig.extensionProviders[0]={"name":"o","opentelemetry":{"serviceAttributeEnrichment":"OTEL_SEMANTIC_CONVENTIONS"}}']);
  t.equal(env(otel).find((e) => e.name === 'OTEL_RESOURCE_ATTRIBUTES')?.value, 'service.namespace=shop,service.version=1,service.instance.id=shop.$(POD_NAME).web');
  t.notOk(env(inject([])).some((e) => e.name === 'OTEL_RESOURCE_ATTRIBUTES'), 'not without such a provider');
  const network = inject(['values.global.network=n1', 'values.global.multiCluster.clusterName=c1', 'meshConfig.defaultConfig.proxyMetadata.ISTIO_META_NETWORK=x']);
  t.same(env(network).slice(-2), [{ name: 'ISTIO_META_CLUSTER_ID', value: 'c1' }, { name: 'ISTIO_META_NETWORK', value: 'n1' }], 'moved last, over proxyMetadata');
  t.equal(env(network).filter((e) => e.name === 'ISTIO_META_NETWORK').length, 1);
  t.equal(network.metadata!.labels!['topology.istio.io/network'], 'n1');
});

t.test('ISTIO_META_ENABLE_HBONE in the ProxyConfig: the networking.istio.io/tunnel label', async (t) => {
  const hbone = { 'proxy.istio.io/config': 'proxyMetadata: {ISTIO_META_ENABLE_HBONE: "true"}' };
  t.equal(inject([], hbone).metadata!.labels!['networking.istio.io/tunnel'], 'http');
  t.notOk('networking.istio.io/tunnel' in (inject([]).metadata!.labels ?? {}), 'not without it');
  const own = inject(['meshConfig.defaultConfig.proxyMetadata.ISTIO_META_ENABLE_HBONE="true"']);
  t.equal(own.metadata!.labels!['networking.istio.io/tunnel'], 'http', 'from the mesh\'s default ProxyConfig too');
});

t.test('the webhook path\'s env: last in istio-proxy\'s env, over the chart\'s cluster and network; rendered apart from the plain path', async (t) => {
  const env = (pod: Pod): Array<{ name: string; value?: string }> => proxyOf(pod).env;
  const sets = ['values.global.network=n1'];
  t.same(env(inject(sets)).slice(-1), [{ name: 'ISTIO_META_NETWORK', value: 'n1' }], 'the chart\'s');
  const remote = inject(sets, {}, [], { ISTIO_META_CLUSTER_ID: 'remote', ISTIO_META_NETWORK: 'n2', CUSTOM: 'x' });
  t.same(env(remote).slice(-3), [{ name: 'CUSTOM', value: 'x' }, { name: 'ISTIO_META_CLUSTER_ID', value: 'remote' }, { name: 'ISTIO_META_NETWORK', value: 'n2' }]);
  t.equal(env(remote).filter((e) => e.name === 'ISTIO_META_CLUSTER_ID').length, 1, 'the template\'s entry moved, not repeated');
  t.equal(remote.metadata!.labels!['topology.istio.io/network'], 'n2');
  t.same(env(inject(sets)).slice(-1), [{ name: 'ISTIO_META_NETWORK', value: 'n1' }], 'the same pod on the plain path again: not the cached remote render');
});
