// Scenario 15: `audit` after an outage and after a configuration change. Pods created while
// the injector was stopped under failurePolicy Ignore are listed as missing; after a
// ConfigMap change, earlier pods are stale; --restart --dry-run changes nothing; --restart
// makes the Deployment controller replace them with injected, current pods. A pod without
// an owner is listed and never touched.
import t from 'tap';
import { installLocalInjector, WEBHOOK_CONFIGURATION } from './support/harness.js';
import { applyObjects, kubectl, kubectlJson } from './support/kubectl.js';
import { ofKind } from './support/manifests.js';
import { recreateDeployment, runCli } from './support/day2.js';
import { injectionStatus, podManifest } from './support/pods.js';
import { dryRunPod, noCluster, scenarioNamespace } from './support/scenario.js';
import { waitFor } from './support/wait.js';

t.setTimeout(400_000);

type Pod = { metadata: { name: string; annotations?: Record<string, string> } };

async function podsOf(ns: string, app: string, count: number): Promise<Pod[]> {
  return waitFor(`${count} pods of ${app}`, async () => {
    const list = await kubectlJson(['-n', ns, 'get', 'pods', '-l', `app=${app}`]);
    return list.items.length === count ? list.items as Pod[] : undefined;
  }, { timeoutMs: 120_000 });
}

async function audit(ns: string, ...extra: string[]) {
  const r = await runCli(['audit', '-n', ns, '-o', 'json', ...extra]);
  if (r.code !== 0 && r.code !== 3) throw new Error(`audit exited ${r.code}: ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) };
}

t.test('audit', { skip: noCluster }, async (t) => {
  const { injector, rendered } = await installLocalInjector(t, '15-audit');
  t.teardown(async () => {
    await applyObjects(ofKind(rendered, 'ConfigMap'));
  });
  const ns = await scenarioNamespace(t, 'audit', { labels: { 'sidecar-injection': 'enabled' } });
  // The Ignore overlay: a pod is created without its proxy when the injector cannot be reached.
  const ops = [0, 1].map((i) => ({ op: 'replace', path: `/webhooks/${i}/failurePolicy`, value: 'Ignore' }));
  await kubectl(['patch', 'mutatingwebhookconfiguration', WEBHOOK_CONFIGURATION, '--type=json', '-p', JSON.stringify(ops)]);

  t.equal(await injector.stop(), 0, 'the injector stops');
  await applyObjects([recreateDeployment('outage', ns, 2), podManifest('loose', ns)]);
  const outagePods = await podsOf(ns, 'outage', 2);
  t.ok(outagePods.every((p) => injectionStatus(p as never) === undefined), 'pods created during the outage have no sidecar');
  await injector.start();

  await t.test('pods created while the injector was stopped are missing', async (t) => {
    const { code, report } = await audit(ns);
    t.equal(code, 3, 'exit 3: pods listed');
    t.same(report.totals, { missing: 3, stale: 0, foreign: 0 });
    const group = report.groups.find((g: { workload?: { kind: string; name: string } }) => g.workload?.kind === 'Deployment' && g.workload.name === 'outage');
    t.same(group?.counts, { missing: 2, stale: 0, foreign: 0 }, 'grouped under the Deployment (through its ReplicaSet)');
    t.ok(report.groups.some((g: { workload?: unknown; pods: Pod[] }) => g.workload === undefined && g.pods.some((p) => (p as unknown as { pod: string }).pod === 'loose')), 'the pod without owner, apart');
    const text = await runCli(['audit', '-n', ns]);
    t.comment(`audit -n ${ns}\n${text.stdout}`);
  });

  // Injected pods, then a new configuration revision.
  await applyObjects([recreateDeployment('steady', ns, 2)]);
  const steadyPods = await podsOf(ns, 'steady', 2);
  const oldRevision = injectionStatus(steadyPods[0] as never)?.revision;
  t.ok(oldRevision, 'steady\'s pods are injected');
  const configMap = ofKind(rendered, 'ConfigMap')[0];
  const changed = structuredClone(configMap);
  changed.data['config.yaml'] = changed.data['config.yaml'].replace(/^(  proxy:\n    image: )(\S+)$/m, '$1registry.example.com/proxy:audit');
  t.not(changed.data['config.yaml'], configMap.data['config.yaml'], 'the proxy image line was edited');
  await applyObjects([changed]);
  await waitFor('the injector to use the new configuration', async () => injectionStatus(await dryRunPod(ns))?.revision !== oldRevision);

  await t.test('after a ConfigMap change, the earlier pods are stale', async (t) => {
    const { report } = await audit(ns);
    const steady = report.groups.find((g: { workload?: { name: string } }) => g.workload?.name === 'steady');
    t.same(steady?.counts, { missing: 0, stale: 2, foreign: 0 }, 'both pods of steady are stale');
    t.match(steady?.pods[0].detail, `revision ${oldRevision}, current ${report.configRevision}`);
    const text = await runCli(['audit', '-n', ns]);
    t.comment(`audit -n ${ns}\n${text.stdout}`);
  });

  await t.test('--restart --dry-run changes nothing', async (t) => {
    const { report } = await audit(ns, '--restart', '--dry-run');
    t.same(report.groups.map((g: { restart: string }) => g.restart).filter((r: string) => r === 'would restart').length, 2, 'both Deployments would be restarted');
    const deployment = await kubectlJson(['-n', ns, 'get', 'deployment', 'steady']);
    t.equal(deployment.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'], undefined, 'the pod template is unchanged');
    t.same((await podsOf(ns, 'steady', 2)).map((p) => p.metadata.name).sort(), steadyPods.map((p) => p.metadata.name).sort(), 'the same pods');
  });

  await t.test('--restart: the Deployment controller replaces them with injected, current pods', async (t) => {
    const { report } = await audit(ns, '--restart');
    t.same(report.groups.map((g: { restart: string }) => g.restart).filter((r: string) => r === 'restarted').length, 2, 'both Deployments restarted');
    t.match(report.groups.find((g: { workload?: unknown }) => g.workload === undefined)?.restart, /no owner/, 'the pod without owner is not touched');
    const current = report.configRevision;
    for (const app of ['outage', 'steady']) {
      await waitFor(`${app}'s pods replaced by injected, current ones`, async () => {
        const pods = (await kubectlJson(['-n', ns, 'get', 'pods', '-l', `app=${app}`])).items as Pod[];
        return pods.length === 2 && pods.every((p) => injectionStatus(p as never)?.revision === current);
      }, { timeoutMs: 120_000 });
    }
    const after = await audit(ns);
    t.same(after.report.totals, { missing: 1, stale: 0, foreign: 0 }, 'only the pod without owner is left');
    t.ok((await kubectlJson(['-n', ns, 'get', 'pod', 'loose'])).metadata.name, 'and it still exists');
  });
});
