// A pod injected before and submitted again (kube-inject output, a copy of an injected pod):
// its istio-proxy declaration is an override, but the agent must still know the probers of
// the probes the old injection rewrote and of a container added since, and Istio's status
// must describe this injection. Through the engine, with the patch checked.
import t from 'tap';
import { join } from 'node:path';
import { compileSnapshot } from '../../../src/config/compile.js';
import type { Container, Pod } from '../../../src/injection/types.js';
import { readConfigFiles, TEMPLATES_DIR } from '../../support/config.js';
import { injectChecked } from '../../support/inject-checked.js';

const snapshot = compileSnapshot(readConfigFiles(join(TEMPLATES_DIR, 'profiles', 'istio')));
const NAMESPACE = { name: 'shop', labels: { 'istio-injection': 'enabled' }, annotations: {} };
const OLD_PROBERS = { '/app-health/web/livez': { httpGet: { port: 8080 } }, 'bogus': { httpGet: { port: 1 } } };
const OLD_STATUS = '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":[],"imagePullSecrets":null,"revision":"default"}';

function injectedBefore(status: boolean): Pod {
  return {
    metadata: { name: 'web', annotations: status ? { 'sidecar.istio.io/status': OLD_STATUS } : {} },
    spec: {
      containers: [
        { name: 'web', image: 'web:1', livenessProbe: { httpGet: { path: '/app-health/web/livez', port: 15020 } } },
        { name: 'added', image: 'added:1', livenessProbe: { httpGet: { path: '/live', port: 9000 } } },
        { name: 'istio-proxy', image: 'proxyv2:old', env: [{ name: 'ISTIO_KUBE_APP_PROBERS', value: JSON.stringify(OLD_PROBERS) }] },
      ],
    },
  };
}

function inject(pod: Pod): Pod {
  return injectChecked(pod, NAMESPACE, snapshot, '1.33');
}

const probersOf = (p: Pod): Record<string, unknown> => {
  const proxy = [...(p.spec!.initContainers ?? []), ...p.spec!.containers].find((c: Container) => c.name === 'istio-proxy');
  return JSON.parse((proxy?.env as Array<{ name: string; value: string }>).find((e) => e.name === 'ISTIO_KUBE_APP_PROBERS')!.value);
};

t.test('injected before: the old probers and the new container\'s, in the proxy the override declares', async (t) => {
  const out = inject(injectedBefore(true));
  t.same(probersOf(out), {
    '/app-health/web/livez': { httpGet: { port: 8080 } },
    '/app-health/added/livez': { httpGet: { path: '/live', port: 9000 } },
  }, 'the old prober kept, the new one added, a key that is not a prober path dropped');
  t.match(out.spec!.containers.find((c) => c.name === 'added')?.livenessProbe, { httpGet: { path: '/app-health/added/livez', port: 15020 } });
  const status = JSON.parse(out.metadata!.annotations!['sidecar.istio.io/status']);
  t.same([status.initContainers, status.containers], [['istio-init', 'istio-proxy'], null], 'Istio\'s status describes this injection');
});

t.test('not injected before: a declared env entry is the pod\'s override, kept as written', async (t) => {
  t.same(probersOf(inject(injectedBefore(false))), OLD_PROBERS);
});
