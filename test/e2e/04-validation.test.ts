// Scenario 4: what a user sees from kubectl when an annotation is wrong. An invalid value
// denies the pod with a message naming the annotation, the value and what is accepted; an
// unknown key under sidecar-injector.io/ is allowed, and kubectl prints the admission
// warning (with the nearest known key).
import t from 'tap';
import { installLocalInjector } from './support/harness.js';
import { noCluster, scenarioNamespace } from './support/scenario.js';
import { applyObjects, kubectl, kubectlJson, warningLines } from './support/kubectl.js';
import { assertInjected, INJECT_KEY, podManifest } from './support/pods.js';

t.setTimeout(300_000);

t.test('annotation validation through kubectl', { skip: noCluster }, async (t) => {
  await installLocalInjector(t, '04-validation');
  const namespace = await scenarioNamespace(t, 'validation', { labels: { 'sidecar-injection': 'enabled' } });

  async function assertNotStored(name: string): Promise<void> {
    const get = await kubectl(['-n', namespace, 'get', 'pod', name, '--ignore-not-found', '-o', 'name']);
    t.equal(get.stdout.trim(), '', `pod ${name} was not stored`);
  }

  t.test('an invalid quantity: kubectl apply fails and names the annotation, the value and what is expected', async (t) => {
    const apply = await applyObjects([podManifest('bad-cpu', namespace, { annotations: { 'sidecar-injector.io/proxy-cpu': 'lots' } })], [], { allowFailure: true });
    t.not(apply.code, 0, 'kubectl apply exits non-zero');
    t.match(apply.stderr, /denied the request/, 'the apiserver reports the webhook\'s denial');
    t.match(apply.stderr, 'namespace.sidecar-injector.io', 'naming the webhook');
    t.match(apply.stderr, 'sidecar-injector.io/proxy-cpu', 'the message names the annotation');
    t.match(apply.stderr, '"lots"', 'and the value');
    t.match(apply.stderr, /quantity/i, 'and says a quantity is expected');
    await assertNotStored('bad-cpu');
  });

  t.test('an invalid choice: the message lists the accepted values', async (t) => {
    const apply = await applyObjects([podManifest('bad-mode', namespace, { annotations: { 'sidecar-injector.io/interception-mode': 'SIDEWAYS' } })], [], { allowFailure: true });
    t.not(apply.code, 0, 'kubectl apply exits non-zero');
    t.match(apply.stderr, 'sidecar-injector.io/interception-mode', 'the message names the annotation');
    t.match(apply.stderr, 'SIDEWAYS', 'and the value');
    for (const accepted of ['REDIRECT', 'TPROXY', 'NONE']) t.match(apply.stderr, accepted, `and lists ${accepted}`);
    await assertNotStored('bad-mode');
  });

  t.test('an unknown sidecar-injector.io/ key: created, and kubectl prints the Warning: line', async (t) => {
    const apply = await applyObjects([podManifest('typo', namespace, { annotations: { 'sidecar-injector.io/proxy-cpuu': '200m' } })]);
    const warnings = warningLines(apply.stderr);
    t.equal(warnings.length, 1, 'one Warning: line', { stderr: apply.stderr });
    t.match(warnings[0], 'sidecar-injector.io/proxy-cpuu', 'it names the unknown key');
    t.match(warnings[0], 'sidecar-injector.io/proxy-cpu', 'and suggests the nearest known one');
    assertInjected(t, await kubectlJson(['-n', namespace, 'get', 'pod', 'typo']));
  });

  t.test('an inject value other than true/false: warned about, and the namespace decides', async (t) => {
    const apply = await applyObjects([podManifest('maybe', namespace, { labels: { [INJECT_KEY]: 'yes' } })]);
    const warnings = warningLines(apply.stderr);
    t.equal(warnings.length, 1, 'one Warning: line', { stderr: apply.stderr });
    t.match(warnings[0], INJECT_KEY, 'it names the key');
    t.match(warnings[0], 'yes', 'the value');
    t.match(warnings[0], /true.*false|false.*true/, 'and what is accepted');
    assertInjected(t, await kubectlJson(['-n', namespace, 'get', 'pod', 'maybe']));
  });
});
