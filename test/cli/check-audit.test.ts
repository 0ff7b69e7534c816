// `check` and `audit` in-process against a fake cluster: the shipped configuration in its
// ConfigMap, deploy/base's webhooks, a 1.20 apiserver, namespaces, workloads and pods.
import { Readable, Writable } from 'node:stream';
import t from 'tap';
import { runAudit } from '../../src/cli/audit.js';
import { runCheck } from '../../src/cli/check.js';
import { DEFAULT_WEBHOOK_CONFIGURATION } from '../../src/cluster/default-webhooks.js';
import type { LiveCluster, LiveObject } from '../../src/cluster/live.js';
import { BUILTIN_CONFIG_DIR, loadConfigDir } from '../../src/config/load-dir.js';
import { compileSnapshot } from '../../src/config/compile.js';
import { evaluatePod, applyOutcome } from '../../src/injection/engine.js';
import type { Pod } from '../../src/injection/types.js';

const files = await loadConfigDir(BUILTIN_CONFIG_DIR);
const snapshot = compileSnapshot(files, { ownNamespace: 'sidecar-injector' });
const spec = { containers: [{ name: 'app', image: 'app:1' }] };
const ns = (name: string, labels: Record<string, string> = {}): LiveObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const injectedPod = (pod: Pod): Pod => applyOutcome(pod, evaluatePod(pod, { name: 'shop', labels: { 'sidecar-injection': 'enabled' }, annotations: {} }, snapshot, { kind: 'Pod', operation: 'CREATE' }));
const rsOwner = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', controller: true }];

function fakeCluster(objects: LiveObject[]): LiveCluster & { patches: Array<{ kind: string; name: string; dryRun: boolean }> } {
  const patches: Array<{ kind: string; name: string; dryRun: boolean }> = [];
  return {
    patches,
    serverMinor: async () => 20,
    webhookConfigurations: async () => [DEFAULT_WEBHOOK_CONFIGURATION],
    configMapData: async (namespace, name) => (namespace === 'sidecar-injector' && name === 'sidecar-injector' ? files : undefined),
    read: async (_v, kind, namespace, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name && (kind === 'Namespace' || o.metadata?.namespace === namespace)),
    list: async (_v, kind, namespace) => objects.filter((o) => o.kind === kind && (namespace === undefined || o.metadata?.namespace === namespace)),
    mergePatch: async (_v, kind, _ns, name, _patch, dryRun) => { patches.push({ kind, name, dryRun }); },
  };
}

function io() {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]) => new Writable({ write(c: Buffer, _e, done) { into.push(c); done(); } });
  return { io: { stdin: Readable.from([]), stdout: sink(out), stderr: sink(err) }, text: () => Buffer.concat(out).toString(), errors: () => Buffer.concat(err).toString() };
}

const webPod = { metadata: { name: 'web-1-a', namespace: 'shop', labels: { app: 'web' }, ownerReferences: rsOwner }, spec };
const cluster = fakeCluster([
  ns('shop', { 'sidecar-injection': 'enabled' }), ns('plain'), ns('off', { 'sidecar-injection': 'disabled' }),
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { template: { metadata: { labels: { app: 'web' } }, spec } } },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', controller: true }] } },
  { apiVersion: 'v1', kind: 'Pod', ...injectedPod(webPod) } as LiveObject,
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1-b', namespace: 'shop', labels: { app: 'web' }, ownerReferences: rsOwner }, spec } as LiveObject,
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'loose', namespace: 'shop' }, spec } as LiveObject,
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'annotated', namespace: 'plain', annotations: { 'sidecar-injector.io/inject': 'true' } }, spec } as LiveObject,
]);

const check = async (...argv: string[]) => {
  const o = io();
  const code = await runCheck(argv, o.io, {}, cluster);
  return { code, out: o.text(), err: o.errors() };
};

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
  const o = io();
  t.equal(await runAudit(['-A', '-o', 'json'], o.io, {}, cluster), 3, o.errors());
  const report = JSON.parse(o.text());
  t.same(report.totals, { missing: 3, stale: 0, foreign: 0 }, 'web-1-b, loose and the annotated pod');
  t.same(report.groups.map((g: { namespace: string; workload?: { kind: string; name: string } }) => `${g.namespace} ${g.workload ? `${g.workload.kind}/${g.workload.name}` : '-'}`),
    ['plain -', 'shop Deployment/web', 'shop -']);
  t.match(report.groups[0].pods[0].detail, /do not send/, 'the annotated pod would not even be sent');

  const dry = io();
  t.equal(await runAudit(['-n', 'shop', '--restart', '--dry-run'], dry.io, {}, cluster), 3);
  t.same(cluster.patches, [{ kind: 'Deployment', name: 'web', dryRun: true }], 'only the Deployment, as a dry run');
  t.match(dry.text(), /Deployment\/web\s+1\s+0\s+0\s+would restart/);
  t.match(dry.text(), /\(no owner\)\s+1\s+0\s+0\s+no owner/);
  const usage = io();
  t.equal(await runAudit(['--dry-run'], usage.io, {}, cluster), 2, '--dry-run without --restart');
});
