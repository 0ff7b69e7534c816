// Pods that must not get our proxy (another mesh's proxy, an app at the proxy's UID), and
// the warnings for Istio keys we do not implement.
import t from 'tap';
import { compileSnapshot } from '../../src/config/compile.js';
import { decide } from '../../src/injection/decide.js';
import { istioKeyWarnings } from '../../src/injection/istio-keys.js';
import { addsProxy, appAtProxyUid, foreignProxy, meshConflict } from '../../src/injection/mesh-conflicts.js';
import type { Container, Fragment, Pod } from '../../src/injection/types.js';
import { configFiles, snapshotWith } from '../support/config.js';

function fragment(containers: Container[], initContainers: Container[] = []): Fragment {
  return { containers, initContainers, volumes: [], imagePullSecrets: [], annotations: {}, labels: {} };
}
const ENVOY = { name: 'envoy', securityContext: { runAsUser: 1337, runAsGroup: 1337 } };
const ENVOY_TPROXY = { name: 'envoy', securityContext: { runAsUser: 0, runAsGroup: 1337 } };
const pod = (spec: Record<string, unknown>): Pod => ({ spec: { containers: [], ...spec } });

t.test('addsProxy: a long-running container as the proxy UID or group', async (t) => {
  t.ok(addsProxy(fragment([ENVOY]), 1337));
  t.ok(addsProxy(fragment([ENVOY_TPROXY]), 1337), 'TPROXY: root in the proxy group');
  t.ok(addsProxy(fragment([], [{ ...ENVOY, restartPolicy: 'Always' }]), 1337), 'native sidecar');
  t.notOk(addsProxy(fragment([], [ENVOY]), 1337), 'an init container that exits is no proxy');
  t.notOk(addsProxy(fragment([{ name: 'log-agent', securityContext: { runAsUser: 1000 } }, { name: 'x' }]), 1337));
});

t.test('foreignProxy finds other meshes, containers first', async (t) => {
  t.same(foreignProxy(pod({ initContainers: [{ name: 'istio-init' }], containers: [{ name: 'app' }, { name: 'istio-proxy' }] })),
    { container: 'istio-proxy', mesh: 'Istio' });
  t.same(foreignProxy(pod({ initContainers: [{ name: 'istio-proxy', restartPolicy: 'Always' }] })), { container: 'istio-proxy', mesh: 'Istio' });
  for (const name of ['linkerd-proxy', 'kuma-sidecar', 'consul-dataplane', 'envoy-sidecar', 'nginx-mesh-sidecar']) {
    t.ok(foreignProxy(pod({ containers: [{ name }] })), name);
  }
  t.equal(foreignProxy(pod({ containers: [{ name: 'envoy' }, { name: 'app' }] })), undefined, 'envoy is ours (and OSM\'s): not foreign');
  t.equal(foreignProxy({ spec: { containers: 'x' } } as unknown as Pod), undefined, 'a hostile shape');
  t.equal(foreignProxy(pod({ containers: [{ name: 'app' }, { name: 'istio-proxy' }] }), new Set(['istio-proxy'])), undefined,
    'a container our templates render (the istio profile\'s istio-proxy) is the pod\'s override, not another mesh');
  t.same(foreignProxy(pod({ containers: [{ name: 'istio-proxy' }, { name: 'linkerd-proxy' }] }), new Set(['istio-proxy'])),
    { container: 'linkerd-proxy', mesh: 'Linkerd' }, 'other meshes are still found beside it');
  const overrides = pod({ initContainers: [{ name: 'istio-init' }], containers: [{ name: 'app' }, { name: 'istio-proxy' }] });
  t.equal(foreignProxy(overrides, new Set(['istio-proxy', 'istio-init'])), undefined, 'the templates\' own names (istio profile) are overrides');
  t.same(foreignProxy(overrides, new Set(['istio-proxy'])), { container: 'istio-init', mesh: 'Istio' }, 'only the rendered names are exempt');
});

t.test('appAtProxyUid: the container\'s own runAsUser, else the pod\'s', async (t) => {
  t.equal(appAtProxyUid(pod({ containers: [{ name: 'a', securityContext: { runAsUser: 1337 } }] }), 1337), 'a');
  t.equal(appAtProxyUid(pod({ securityContext: { runAsUser: 1337 }, containers: [{ name: 'a' }] }), 1337), 'a');
  t.equal(appAtProxyUid(pod({ securityContext: { runAsUser: 1337 }, containers: [{ name: 'a', securityContext: { runAsUser: 1000 } }] }), 1337), undefined);
  t.equal(appAtProxyUid(pod({ initContainers: [{ name: 's', restartPolicy: 'Always', securityContext: { runAsUser: 1337 } }] }), 1337), 's');
  t.equal(appAtProxyUid(pod({ initContainers: [{ name: 'migrate', securityContext: { runAsUser: 1337 } }] }), 1337), undefined);
});

t.test('meshConflict only when a proxy is added', async (t) => {
  const meshed = pod({ containers: [{ name: 'linkerd-proxy' }] });
  t.equal(meshConflict(meshed, fragment([{ name: 'log-agent' }]), 1337), undefined);
  t.equal(meshConflict(meshed, fragment([ENVOY]), 'not a number'), undefined);
  t.equal(meshConflict(meshed, fragment([ENVOY]), 1337)?.reason, 'foreign-proxy');
  t.equal(meshConflict(pod({ containers: [{ name: 'a', securityContext: { runAsUser: 1337 } }] }), fragment([ENVOY]), 1337)?.reason, 'proxy-uid');
});

t.test('config foreignProxy: deny (default) or skip', async (t) => {
  t.equal(snapshotWith().foreignProxy, 'deny');
  t.equal(snapshotWith({ foreignProxy: 'skip' }).foreignProxy, 'skip');
  t.throws(() => compileSnapshot(configFiles({ foreignProxy: 'allow' }), {}), /foreignProxy: must be "deny" or "skip"/);
});

t.test('istioKeyWarnings', async (t) => {
  t.same(istioKeyWarnings(undefined), []);
  t.same(istioKeyWarnings({ 'sidecar.istio.io/proxyCPU': '1', 'sidecar.istio.io/inject': 'true', 'sidecar.istio.io/status': '{}', other: 'x' }), []);
  t.same(istioKeyWarnings({ 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true' }), []);
  t.same(istioKeyWarnings({ 'proxy.istio.io/config': '[not, a, mapping]' }), [], 'not a mapping: the settings check reports it');
  t.same(istioKeyWarnings({ 'proxy.istio.io/config': 'a: [' }), [], 'invalid YAML: the settings check reports it');
  t.same(istioKeyWarnings({ 'proxy.istio.io/config': `x: ${'a'.repeat(70000)}` }), [], 'too large to inspect');
  t.same(istioKeyWarnings({ 'proxy.istio.io/config': 'concurrency: 2' }),
    ['annotation proxy.istio.io/config: field "concurrency" ignored; only holdApplicationUntilProxyStarts is read']);
  const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`sidecar.istio.io/k${String(i).padStart(2, '0')}`, 'v']));
  const [warning] = istioKeyWarnings(many);
  t.match(warning, /^annotations "sidecar\.istio\.io\/k00", .*"sidecar\.istio\.io\/k19" and 5 more: not implemented/);
});

t.test('decide warns about Istio keys only when injecting with Istio compatibility on', async (t) => {
  const meta = { name: 'p', annotations: { 'sidecar.istio.io/statusPort': '15020' } };
  const ns = { name: 'shop', labels: { 'sidecar-injection': 'enabled' }, annotations: {} };
  const request = { kind: 'Pod', operation: 'CREATE' };
  const p: Pod = { metadata: meta, spec: { containers: [{ name: 'a' }] } };
  t.equal(decide(p, ns, snapshotWith(), request).warnings.length, 1);
  t.same(decide(p, ns, snapshotWith({ compat: { istio: false } }), request).warnings, []);
  t.same(decide(p, { ...ns, labels: {} }, snapshotWith(), request).warnings, [], 'not injected: no warning');
});
