// `check` and `audit` in-process against a fake cluster: the shipped configuration in its
// ConfigMap, deploy/base's webhooks, a 1.20 apiserver, namespaces, workloads and pods.
import t from 'tap';
import { runAudit } from '../../src/cli/audit.js';
import { runCheck } from '../../src/cli/check.js';
import { DEFAULT_WEBHOOK_CONFIGURATION } from '../../src/cluster/default-webhooks.js';
import type { LiveObject } from '../../src/cluster/live.js';
import { BUILTIN_CONFIG_DIR, loadConfigDir } from '../../src/config/load-dir.js';
import { compileSnapshot } from '../../src/config/compile.js';
import { evaluatePod, applyOutcome } from '../../src/injection/engine.js';
import type { Pod } from '../../src/injection/types.js';
import { fakeCluster, runLive } from './support/live-cluster.js';

const files = await loadConfigDir(BUILTIN_CONFIG_DIR);
const snapshot = compileSnapshot(files, { ownNamespace: 'sidecar-injector' });
const spec = { containers: [{ name: 'app', image: 'app:1' }] };
const ns = (name: string, labels: Record<string, string> = {}): LiveObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const injectedPod = (pod: Pod): Pod => applyOutcome(pod, evaluatePod(pod, { name: 'shop', labels: { 'sidecar-injection': 'enabled' }, annotations: {} }, snapshot, { kind: 'Pod', operation: 'CREATE' }));
const rsOwner = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', controller: true }];

const webPod = { metadata: { name: 'web-1-a', namespace: 'shop', labels: { app: 'web' }, ownerReferences: rsOwner }, spec };
const cluster = fakeCluster({ webhooks: [DEFAULT_WEBHOOK_CONFIGURATION], configMaps: { 'sidecar-injector/sidecar-injector': files }, objects: [
  ns('shop', { 'sidecar-injection': 'enabled' }), ns('plain'), ns('off', { 'sidecar-injection': 'disabled' }),
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { template: { metadata: { labels: { app: 'web' } }, spec } } },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', controller: true }] } },
  { apiVersion: 'v1', kind: 'Pod', ...injectedPod(webPod) } as LiveObject,
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1-b', namespace: 'shop', labels: { app: 'web' }, ownerReferences: rsOwner }, spec } as LiveObject,
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'loose', namespace: 'shop' }, spec } as LiveObject,
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'annotated', namespace: 'plain', annotations: { 'sidecar-injector.io/inject': 'true' } }, spec } as LiveObject,
] });

const check = (...argv: string[]) => runLive(runCheck, cluster, ...argv);

t.test('check', async (t) => {
  const web = await check('-n', 'shop', 'deploy/web');
  t.equal(web.code, 0, web.err);
  t.match(web.out, /sent to the injector by namespace\.sidecar-injector\.io/);
  t.match(web.out, /note: evaluated as Kubernetes 1\.20 does/);

  const pod = await check('-n', 'shop', 'pod/web-1-a', '-o', 'json');
  t.equal(pod.code, 0, pod.err);
  t.match(JSON.parse(pod.out)[0], { verdict: 'injected', decision: { decision: 'inject', reason: 'namespace-enabled' }, pod: { injected: true, current: true } },
    'an injected pod is judged as it was created (its sidecar stripped), and is current');

  const missing = await check('-n', 'shop', 'pod/web-1-b');
  t.equal(missing.code, 5, 'a pod without sidecar that should have one');
  t.match(missing.out, /verdict:\s+missing/);

  const annotated = await check('-n', 'plain', 'pod/annotated');
  t.equal(annotated.code, 3);
  t.match(annotated.out, /fix: pod label sidecar-injector\.io\/inject=true/);

  const off = await check('namespace/off');
  t.equal(off.code, 3);
  t.match(off.out, /reason namespace-disabled/);

  t.equal((await check('-n', 'shop', 'deployment/nope')).code, 1, 'not found: exit 1');
  t.equal((await check('-n', 'shop', 'frobnicator/x')).code, 2, 'unknown kind: usage');
  t.equal((await check()).code, 2, 'no target: usage');
  const noConfig = await check('--configmap', 'other', 'namespace/shop');
  t.equal(noConfig.code, 1);
  t.match(noConfig.err, /configmap sidecar-injector\/other \(--configmap\) not found/);
});

t.test('audit', async (t) => {
  const all = await runLive(runAudit, cluster, '-A', '-o', 'json');
  t.equal(all.code, 3, all.err);
  const report = JSON.parse(all.out);
  t.same(report.totals, { missing: 3, stale: 0, foreign: 0 }, 'web-1-b, loose and the annotated pod');
  t.same(report.groups.map((g: { namespace: string; workload?: { kind: string; name: string } }) => `${g.namespace} ${g.workload ? `${g.workload.kind}/${g.workload.name}` : '-'}`),
    ['plain -', 'shop Deployment/web', 'shop -']);
  t.match(report.groups[0].pods[0].detail, /do not send/, 'the annotated pod would not even be sent');

  const dry = await runLive(runAudit, cluster, '-n', 'shop', '--restart', '--dry-run');
  t.equal(dry.code, 3);
  t.same(cluster.patches, [{ kind: 'Deployment', name: 'web', dryRun: true }], 'only the Deployment, as a dry run');
  t.match(dry.out, /Deployment\/web\s+1\s+0\s+0\s+would restart/);
  t.match(dry.out, /\(no owner\)\s+1\s+0\s+0\s+no owner/);
  t.equal((await runLive(runAudit, cluster, '--dry-run')).code, 2, '--dry-run without --restart');
});
