// Scenario 14: `check` against the live cluster: whether the apiserver sends a pod to the
// injector (naming the webhook, or the selector and the label that would fix it), what the
// injector decides with the ConfigMap in force, whether an existing pod is injected by the
// current revision, and other proxy injectors that match too. Exit codes as documented.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { installLocalInjector } from './support/harness.js';
import { applyObjects, kubectl, kubectlJson } from './support/kubectl.js';
import { recreateDeployment, runCli } from './support/day2.js';
import { INJECT_KEY, podManifest } from './support/pods.js';
import { noCluster, scenarioNamespace, suffix } from './support/scenario.js';
import { waitFor } from './support/wait.js';

t.setTimeout(300_000);

t.test('check', { skip: noCluster }, async (t) => {
  const { dir } = await installLocalInjector(t, '14-check');

  await t.test("a labelled namespace's Deployment: injected, the webhook named", async (t) => {
    const ns = await scenarioNamespace(t, 'check-on', { labels: { 'sidecar-injection': 'enabled' } });
    await applyObjects([recreateDeployment('web', ns, 1)]);
    const r = await runCli(['check', '-n', ns, 'deployment/web']);
    t.equal(r.code, 0, 'exit 0: injected as expected', { stdout: r.stdout, stderr: r.stderr });
    t.match(r.stdout, /verdict:\s+injected \(exit 0\)/);
    t.match(r.stdout, /sent to the injector by namespace\.sidecar-injector\.io \(configuration sidecar-injector, failurePolicy Fail\)/, 'names the webhook');
    t.match(r.stdout, /decision:\s+inject, reason namespace-enabled/);
    t.match(r.stdout, /proxy-image\s+\S+\s+config values\.proxy\.image/, 'every setting with its source');
    t.match(r.stdout, /note: evaluated as Kubernetes 1\.20 does/, 'says how the 1.20 apiserver sees the namespace');
    t.comment(`check -n ${ns} deployment/web\n${r.stdout}`);

    const pods = await waitFor('the Deployment\'s pod', async () => {
      const list = await kubectlJson(['-n', ns, 'get', 'pods', '-l', 'app=web']);
      return list.items.length === 1 ? list.items : undefined;
    });
    const pod = await runCli(['check', '-n', ns, `pod/${pods[0].metadata.name}`, '-o', 'json']);
    t.equal(pod.code, 0, 'the pod: exit 0', { stdout: pod.stdout, stderr: pod.stderr });
    const [result] = JSON.parse(pod.stdout);
    t.match(result, { verdict: 'injected', pod: { injected: true, current: true }, webhooks: { sent: true } });
    t.equal(result.pod.revision, result.configRevision, 'injected by the current config revision');
  });

  await t.test('annotation-only opt-in in an unlabelled namespace: not sent, with the label that would fix it', async (t) => {
    const ns = await scenarioNamespace(t, 'check-plain');
    const file = join(dir, 'annotated.yaml');
    await writeFile(file, JSON.stringify(podManifest('annotated', ns, { annotations: { [INJECT_KEY]: 'true' } })));
    const r = await runCli(['check', '-f', file]);
    t.equal(r.code, 3, 'exit 3: not injected', { stdout: r.stdout, stderr: r.stderr });
    t.match(r.stdout, /verdict:\s+not-sent/);
    t.match(r.stdout, /NOT sent to the injector/);
    t.match(r.stdout, /object\.sidecar-injector\.io: objectSelector requires sidecar-injector\.io\/inject In \(true\); fix: pod label sidecar-injector\.io\/inject=true/);
    t.match(r.stdout, /namespace\.sidecar-injector\.io: namespaceSelector requires sidecar-injection In \(enabled\); fix: namespace label sidecar-injection=enabled/);
    t.comment(`check -f annotated.yaml\n${r.stdout}`);
  });

  await t.test('a namespace labelled sidecar-injection=disabled', async (t) => {
    const ns = await scenarioNamespace(t, 'check-off', { labels: { 'sidecar-injection': 'disabled' } });
    const r = await runCli(['check', `namespace/${ns}`, '-o', 'json']);
    t.equal(r.code, 3, 'exit 3', { stdout: r.stdout, stderr: r.stderr });
    const [result] = JSON.parse(r.stdout);
    t.match(result, { verdict: 'skipped', decision: { decision: 'skip', reason: 'namespace-disabled' }, webhooks: { sent: false } });
    t.same(result.webhooks.excluded.map((v: { webhook: string; requirement: string }) => `${v.webhook}: ${v.requirement}`).sort(), [
      'namespace.sidecar-injector.io: sidecar-injection In (enabled)',
      'object.sidecar-injector.io: sidecar-injection DoesNotExist',
    ], 'both webhooks excluded by the namespace label');
  });

  await t.test('an invalid annotation: denied, with the message', async (t) => {
    const ns = await scenarioNamespace(t, 'check-bad', { labels: { 'sidecar-injection': 'enabled' } });
    const file = join(dir, 'bad.yaml');
    await writeFile(file, JSON.stringify(podManifest('bad', ns, { annotations: { 'sidecar-injector.io/proxy-cpu': 'lots' } })));
    const r = await runCli(['check', '-f', file]);
    t.equal(r.code, 4, 'exit 4: refused', { stdout: r.stdout, stderr: r.stderr });
    t.match(r.stdout, /verdict:\s+denied/);
    t.match(r.stdout, /denial:.*sidecar-injector\.io\/proxy-cpu.*lots/);
  });

  await t.test('a second, foreign MutatingWebhookConfiguration that also matches: flagged', async (t) => {
    const label = `e2e-foreign-${suffix()}`;
    const ns = await scenarioNamespace(t, 'check-two', { labels: { 'sidecar-injection': 'enabled', 'istio-injection': 'enabled', [label]: 'yes' } });
    const name = `istio-sidecar-injector-${label}`;
    await applyObjects([{
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration',
      metadata: { name },
      webhooks: [{
        name: 'namespace.sidecar-injector.istio.io',
        clientConfig: { url: 'https://127.0.0.1:1/inject' },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
        namespaceSelector: { matchLabels: { [label]: 'yes' } },
        sideEffects: 'None', admissionReviewVersions: ['v1'], failurePolicy: 'Ignore',
      }],
    }]);
    t.teardown(() => kubectl(['delete', 'mutatingwebhookconfiguration', name, '--ignore-not-found']).then(() => undefined));
    const r = await runCli(['check', `namespace/${ns}`]);
    t.equal(r.code, 5, 'exit 5: needs attention', { stdout: r.stdout, stderr: r.stderr });
    t.match(r.stdout, /verdict:\s+conflict/);
    t.match(r.stdout, new RegExp(`also matches: namespace\\.sidecar-injector\\.istio\\.io \\(configuration ${name}, istio\\): another proxy injector`));
    t.comment(`check namespace/${ns}\n${r.stdout}`);
  });
});
