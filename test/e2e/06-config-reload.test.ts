// Scenario 6: the ConfigMap is the live configuration. Editing templates/ and applying it
// again (the documented way; templates/kustomization.yaml generates the ConfigMap) changes
// the next pod without a restart. A broken version is rejected: pods keep getting the last
// good configuration and sidecar_injector_config_reloads_total{result="failure"} goes up.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { applyObjects, kubectl, kubectlJson } from './support/kubectl.js';
import { installLocalInjector } from './support/harness.js';
import { dryRunPod, noCluster, scenarioNamespace } from './support/scenario.js';
import { ofKind } from './support/manifests.js';
import { assertInjected, container, podManifest, PROXY_CONTAINER } from './support/pods.js';
import { TEMPLATES_DIR } from './support/repo.js';
import { waitFor } from './support/wait.js';

t.setTimeout(300_000);

const SHIPPED_IMAGE = /^(  proxy:\n    image: )(\S+)$/m;

t.test('live configuration from the ConfigMap', { skip: noCluster }, async (t) => {
  const { dir, injector, rendered } = await installLocalInjector(t, '06-config-reload');
  t.teardown(async () => {
    await applyObjects(ofKind(rendered, 'ConfigMap')); // the shipped version again
  });
  const namespace = await scenarioNamespace(t, 'reload', { labels: { 'sidecar-injection': 'enabled' } });
  const pid = injector.pid;

  // A copy of templates/ to edit, applied with kubectl apply -k as a user would.
  const edited = join(dir, 'templates');
  await cp(TEMPLATES_DIR, edited, { recursive: true });
  const shipped = await readFile(join(edited, 'config.yaml'), 'utf8');
  const shippedImage = SHIPPED_IMAGE.exec(shipped)?.[2];
  t.ok(shippedImage, 'templates/config.yaml sets values.proxy.image (the line this scenario edits)');
  if (!shippedImage) return;
  const proxyImage = (pod: Awaited<ReturnType<typeof dryRunPod>>) => container(pod, PROXY_CONTAINER)?.image as string | undefined;
  const reloads = (result: string) => injector.sample('sidecar_injector_config_reloads_total', { result });

  t.test('a new proxy image reaches the next pod, no restart', async (t) => {
    t.equal(proxyImage(await dryRunPod(namespace)), shippedImage, 'before: the shipped image');
    const successes = await reloads('success');
    await writeFile(join(edited, 'config.yaml'), shipped.replace(SHIPPED_IMAGE, '$1registry.example.com/e2e/envoy:reloaded'));
    await kubectl(['apply', '-k', edited]);
    await waitFor('a pod with the new proxy image', async () => proxyImage(await dryRunPod(namespace)) === 'registry.example.com/e2e/envoy:reloaded');
    await applyObjects([podManifest('after-edit', namespace)]);
    const pod = await kubectlJson(['-n', namespace, 'get', 'pod', 'after-edit']);
    assertInjected(t, pod);
    t.equal(proxyImage(pod), 'registry.example.com/e2e/envoy:reloaded', 'a stored pod has the new image');
    t.ok(await reloads('success') > successes, 'sidecar_injector_config_reloads_total{result="success"} went up');
    t.equal(injector.pid, pid, 'the same injector process');
    t.ok(injector.isRunning, 'still running');
  });

  t.test('an invalid version is rejected: pods keep the last good config, the failure is counted', async (t) => {
    const failures = await reloads('failure');
    const broken = shipped
      .replace(SHIPPED_IMAGE, '$1registry.example.com/e2e/envoy:broken')
      .replace(/^policy: enabled$/m, 'policy: sometimes');
    t.not(broken.indexOf('policy: sometimes'), -1, 'the edit breaks the policy field');
    await writeFile(join(edited, 'config.yaml'), broken);
    await kubectl(['apply', '-k', edited]);
    await waitFor('sidecar_injector_config_reloads_total{result="failure"} to go up', async () => await reloads('failure') > failures);
    await applyObjects([podManifest('after-broken-edit', namespace)]);
    const pod = await kubectlJson(['-n', namespace, 'get', 'pod', 'after-broken-edit']);
    assertInjected(t, pod);
    t.equal(proxyImage(pod), 'registry.example.com/e2e/envoy:reloaded', 'the pod has the last good image, not the broken version\'s');
    // The log is written asynchronously: the line may follow the metric.
    await waitFor('the rejection in the injector\'s log', () => /configuration rejected/.test(injector.logText()));
    t.match(injector.logText(), /configuration rejected/, 'the injector logged the rejection');
    t.match(injector.logText(), /policy/, 'naming the field');
    t.equal(injector.pid, pid, 'the same injector process');
  });
});
