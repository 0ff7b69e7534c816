// TPROXY and a pod's istio-proxy override that sets runAsUser: the proxy still runs as
// root (Envoy's transparent sockets need it), as Istio's injector forces it; the override's
// other fields win, and istio-init exempts the override's UID. REDIRECT keeps the UID.
import t from 'tap';
import { compileSnapshot } from '../../../src/config/compile.js';
import type { Container, Pod } from '../../../src/injection/types.js';
import { readConfigFiles, TEMPLATES_DIR } from '../../support/config.js';
import { injectChecked } from '../../support/inject-checked.js';
import { join } from 'node:path';

const snapshot = compileSnapshot(readConfigFiles(join(TEMPLATES_DIR, 'profiles', 'istio')));
const NAMESPACE = { name: 'shop', labels: { 'istio-injection': 'enabled' }, annotations: {} };

function injected(annotations: Record<string, string>, kubernetesVersion: string): Pod {
  const pod: Pod = {
    metadata: { name: 'web', annotations },
    spec: {
      containers: [
        { name: 'web', image: 'web:1' },
        { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 1234, runAsGroup: 4321 } },
      ],
    },
  };
  return injectChecked(pod, NAMESPACE, snapshot, kubernetesVersion);
}

const named = (p: Pod, name: string): Container | undefined => [...(p.spec!.initContainers ?? []), ...p.spec!.containers].find((c) => c.name === name);

for (const version of ['1.33', '1.28']) {
  t.test(`TPROXY (Kubernetes ${version}): the override's runAsUser yields to root, its runAsGroup stays`, async (t) => {
    const out = injected({ 'sidecar.istio.io/interceptionMode': 'TPROXY' }, version);
    t.match(named(out, 'istio-proxy')?.securityContext, { runAsUser: 0, runAsGroup: 4321 });
    const args = named(out, 'istio-init')?.args as string[];
    t.equal(args[args.indexOf('-u') + 1], '1234', 'istio-init exempts the override\'s UID, as Istio');
  });
}

t.test('TPROXY from the mesh\'s default ProxyConfig (proxy.istio.io/config too)', async (t) => {
  const out = injected({ 'proxy.istio.io/config': 'interceptionMode: TPROXY' }, '1.33');
  t.equal((named(out, 'istio-proxy')?.securityContext as { runAsUser: number }).runAsUser, 0);
});

t.test('REDIRECT: the override\'s UID is kept', async (t) => {
  t.equal((named(injected({}, '1.33'), 'istio-proxy')?.securityContext as { runAsUser: number }).runAsUser, 1234);
});
