// A pod injected before and submitted again: the containers and volumes Istio's status says
// the earlier injection added are the injector's own, refreshed from the template as Istio
// re-injects (a mesh upgrade reaches them), not the user's overrides. Through the engine,
// with the patch checked against the injected pod.
import t from 'tap';
import { join } from 'node:path';
import { compileSnapshot } from '../../../src/config/compile.js';
import { previousInjection } from '../../../src/injection/istio/previous-injection.js';
import { STATUS_ANNOTATION } from '../../../src/injection/status.js';
import type { Container, Pod, Volume } from '../../../src/injection/types.js';
import { readConfigFiles, TEMPLATES_DIR } from '../../support/config.js';
import { injectChecked } from '../../support/inject-checked.js';

const snapshot = compileSnapshot(readConfigFiles(join(TEMPLATES_DIR, 'profiles', 'istio')));
const NAMESPACE = { name: 'shop', labels: { 'istio-injection': 'enabled' }, annotations: {} };
type Env = Array<{ name: string; value?: string }>;

function inject(pod: Pod, kubernetesVersion: string): Pod {
  return injectChecked(pod, NAMESPACE, snapshot, kubernetesVersion);
}

const app: Pod = {
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 8080 }] }],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
};
const named = <T extends { name: string }>(list: T[] | undefined, name: string): T => list!.find((c) => c.name === name)!;
const names = (list: Array<{ name: string }> | undefined): string[] => (list ?? []).map((c) => c.name);

/** As `istioctl kube-inject` writes it: Istio's status only (a pod with this injector's own is not injected again). */
function kubeInjected(injected: Pod): Pod {
  const pod = structuredClone(injected);
  delete pod.metadata!.annotations![STATUS_ANNOTATION];
  return pod;
}

/** The injection of an older release: another image, an env value and entry this one lacks, a changed volume. */
function olderInjection(injected: Pod): Pod {
  const pod = kubeInjected(injected);
  const proxy = named(pod.spec!.containers, 'istio-proxy');
  proxy.image = 'proxyv2:old';
  proxy.env = [{ name: 'OLD_ONLY', value: '1' }, ...(proxy.env as Env).map((e) => (e.name === 'ISTIO_META_CLUSTER_ID' ? { ...e, value: 'old' } : e))];
  named(pod.spec!.initContainers, 'istio-init').image = 'proxyv2:old';
  const token = named(pod.spec!.volumes, 'istio-token') as Volume & { projected: { sources: Array<{ serviceAccountToken: Record<string, unknown> }> } };
  token.projected.sources[0].serviceAccountToken.expirationSeconds = 60;
  return pod;
}

t.test('re-injected (sidecar containers): the template wins over the old injection, what only the old one has stays', async (t) => {
  const fresh = inject(app, '1.28');
  const out = inject(olderInjection(fresh), '1.28');
  const proxy = named(out.spec!.containers, 'istio-proxy');
  const freshProxy = named(fresh.spec!.containers, 'istio-proxy');
  t.equal(proxy.image, freshProxy.image, 'the proxy runs this release\'s image');
  t.equal(named(out.spec!.initContainers, 'istio-init').image, named(fresh.spec!.initContainers, 'istio-init').image, 'so does istio-init');
  const env = proxy.env as Env;
  t.equal(named(env, 'ISTIO_META_CLUSTER_ID').value, named(freshProxy.env as Env, 'ISTIO_META_CLUSTER_ID').value, 'the template\'s env value');
  t.same(names(env), ['OLD_ONLY', ...names(freshProxy.env as Env)], 'an entry only the old injection has stays, where it was (Istio\'s strategic merge)');
  t.same(named(out.spec!.volumes, 'istio-token'), named(fresh.spec!.volumes, 'istio-token'), 'the old injection\'s volume is refreshed');
  t.same(names(out.spec!.volumes), names(fresh.spec!.volumes), 'volumes in the order of a first injection');
});

t.test('re-injected with a volume of this release missing: the volumes interleave as Istio orders them; the app\'s are not the injection\'s', async (t) => {
  const fresh = inject(app, '1.28');
  const older = olderInjection(fresh);
  older.spec!.volumes = older.spec!.volumes!.filter((v) => v.name !== 'istio-ca-crl');
  const out = inject(older, '1.28');
  t.same(names(out.spec!.volumes), [...names(fresh.spec!.volumes).filter((n) => n !== 'data'), 'data'], 'the missing one among the injected, the app\'s after them');
  const status = JSON.parse(out.metadata!.annotations![STATUS_ANNOTATION]) as { volumes: string[] };
  t.notOk(status.volumes.includes('data'), 'this injector\'s status does not claim the app\'s volume');
  t.ok(status.volumes.includes('istio-ca-crl'));
  t.same(names(out.spec!.containers), names(fresh.spec!.containers));
});

t.test('re-injecting an injection of this release changes no container or volume', async (t) => {
  const fresh = inject(app, '1.28');
  const again = inject(kubeInjected(fresh), '1.28');
  t.same(again.spec, fresh.spec);
});

t.test('old sidecar containers on a native-sidecar cluster: Istio keeps the old declaration as an override', async (t) => {
  // Istio's status lists istio-proxy under containers, the template renders it as an init
  // container: Istio reapplies the old declaration (its corpus case merge-probers), so this does.
  const out = inject(olderInjection(inject(app, '1.28')), '1.33');
  t.equal(named(out.spec!.initContainers, 'istio-proxy').image, 'proxyv2:old');
  t.notOk(out.spec!.containers.some((c: Container) => c.name === 'istio-proxy'), 'moved to initContainers');
});

t.test('previousInjection reads Istio\'s status; one that is not JSON names nothing', async (t) => {
  const status = (text: string): Pod => ({ metadata: { annotations: { 'sidecar.istio.io/status': text } }, spec: { containers: [] } });
  const read = previousInjection(status('{"containers":["istio-proxy",3],"initContainers":null,"volumes":["istio-envoy"]}'))!;
  t.same([[...read.containers], [...read.initContainers], [...read.volumes]], [['istio-proxy'], [], ['istio-envoy']]);
  const bad = previousInjection(status('{not json'))!;
  t.same([bad.containers.size, bad.initContainers.size, bad.volumes.size], [0, 0, 0]);
  t.equal(previousInjection({ metadata: {}, spec: { containers: [] } }), undefined);
});
