// `check` and `audit` read the configuration the deployed injector serves: deploy/istio's
// Deployment runs `serve --configmap sidecar-injector/sidecar-injector-istio`, and an
// operator asking about its pods should not have to name that ConfigMap.
import { join } from 'node:path';
import t from 'tap';
import { runAudit } from '../../src/cli/audit.js';
import { runCheck } from '../../src/cli/check.js';
import { deployedConfigMap } from '../../src/cli/live-context.js';
import { DEFAULT_WEBHOOK_CONFIGURATION } from '../../src/cluster/default-webhooks.js';
import type { LiveCluster, LiveObject } from '../../src/cluster/live.js';
import { BUILTIN_CONFIG_DIR, loadConfigDir } from '../../src/config/load-dir.js';
import { compileSnapshot } from '../../src/config/compile.js';
import { applyOutcome, evaluatePod } from '../../src/injection/engine.js';
import type { Pod } from '../../src/injection/types.js';
import { fakeCluster, runLive as run } from './support/live-cluster.js';

const istioFiles = await loadConfigDir(join(BUILTIN_CONFIG_DIR, 'profiles', 'istio'));
const snapshot = compileSnapshot(istioFiles, { ownNamespace: 'sidecar-injector' });
const ISTIO_LABELS = { 'istio-injection': 'enabled' };

const deployment = (args: string[]): LiveObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'sidecar-injector', namespace: 'sidecar-injector' },
  spec: { template: { spec: { containers: [{ name: 'sidecar-injector', image: 'sidecar-injector', args }] } } },
});

const pod: Pod = { metadata: { name: 'web', namespace: 'mesh', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };
const injected = applyOutcome(pod, evaluatePod(pod, { name: 'mesh', labels: ISTIO_LABELS, annotations: {} }, snapshot, { kind: 'Pod', operation: 'CREATE' }));

/** deploy/istio's ConfigMap only (no sidecar-injector ConfigMap), and a webhook selecting istio-injection=enabled. */
function istioCluster(objects: LiveObject[]): LiveCluster {
  const webhooks = structuredClone(DEFAULT_WEBHOOK_CONFIGURATION);
  webhooks.webhooks![0].namespaceSelector = { matchLabels: ISTIO_LABELS };
  return fakeCluster({ objects, configMaps: { 'sidecar-injector/sidecar-injector-istio': istioFiles }, webhooks: [webhooks] });
}

const objects: LiveObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mesh', labels: ISTIO_LABELS } },
  { apiVersion: 'v1', kind: 'Pod', ...injected } as LiveObject,
];

t.test('without --configmap: the ConfigMap the Deployment serves', async (t) => {
  const cluster = istioCluster([...objects, deployment(['serve', '--configmap', 'sidecar-injector/sidecar-injector-istio', '--tls-cert-file', 'x'])]);
  const check = await run(runCheck, cluster, '-n', 'mesh', 'pod/web', '-o', 'json');
  t.equal(check.code, 0, check.err);
  t.match(JSON.parse(check.out)[0], {
    verdict: 'injected', configRevision: snapshot.revision, configMap: 'sidecar-injector/sidecar-injector-istio', pod: { injected: true, current: true, foreign: [] },
  });
  const text = await run(runCheck, cluster, '-n', 'mesh', 'pod/web');
  t.match(text.out, `(config revision ${snapshot.revision}, configmap sidecar-injector/sidecar-injector-istio)`, 'the text names the ConfigMap too');
  const audit = await run(runAudit, cluster, '-n', 'mesh', '-o', 'json');
  t.equal(audit.code, 0, `audit finds nothing to report: ${audit.out}${audit.err}`);
  t.equal(JSON.parse(audit.out).configMap, 'sidecar-injector/sidecar-injector-istio');
});

t.test('no Deployment, or one naming no ConfigMap: serve\'s default, and the error says where the name came from', async (t) => {
  for (const extra of [[], [deployment(['serve', '--standalone'])]]) {
    const r = await run(runCheck, istioCluster([...objects, ...extra]), '-n', 'mesh', 'pod/web');
    t.equal(r.code, 1);
    t.match(r.err, 'configmap sidecar-injector/sidecar-injector (the default) not found');
  }
  const forbidden = { ...istioCluster(objects), read: async (_v: string, kind: string) => { if (kind === 'Deployment') throw new Error('deployments.apps is forbidden'); return undefined; } };
  t.match((await run(runCheck, forbidden, '-n', 'mesh', 'pod/web')).err, '(the default) not found', 'a Deployment the user may not read: the default');
  const named = await run(runCheck, istioCluster([...objects, deployment(['serve', '--configmap=gone'])]), '-n', 'mesh', 'pod/web');
  t.match(named.err, 'configmap sidecar-injector/gone (the --configmap of deployment sidecar-injector/sidecar-injector) not found');
  const explicit = await run(runCheck, istioCluster(objects), '--configmap', 'sidecar-injector-istio', '-n', 'mesh', 'pod/web');
  t.equal(explicit.code, 0, 'an explicit --configmap needs no Deployment');
  t.equal((await run(runCheck, istioCluster(objects), '--configmap', 'a/b/c', 'pod/web')).code, 2, 'a malformed --configmap is a usage error');
});

t.test('deployedConfigMap reads serve\'s arguments', async (t) => {
  t.equal(deployedConfigMap(deployment(['serve', '--configmap', 'ns/cm'])), 'ns/cm');
  t.equal(deployedConfigMap(deployment(['serve', '--configmap=cm'])), 'cm');
  t.equal(deployedConfigMap(deployment(['certs', '--configmap', 'cm'])), undefined, 'not serve');
  t.equal(deployedConfigMap(deployment(['serve', '--configmap'])), undefined, 'no value');
  t.equal(deployedConfigMap(undefined), undefined);
  t.equal(deployedConfigMap({ spec: { template: { spec: { containers: [null, { command: ['node', 'bin.js', 'serve', '--configmap', 'x'] }] } } } }), 'x', 'in command too');
});
