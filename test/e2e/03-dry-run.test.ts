// Scenario 3: `kubectl run … --dry-run=server -o yaml` shows the pod as it would be stored,
// injected, and nothing is stored (the webhooks declare sideEffects: None, which the
// apiserver requires before it calls them for a dry run).
import t from 'tap';
import { parse } from 'yaml';
import { installLocalInjector } from './support/harness.js';
import { noCluster, scenarioNamespace } from './support/scenario.js';
import { kubectl, kubectlJson } from './support/kubectl.js';
import type { KubeObject } from './support/manifests.js';
import { APP_IMAGE, assertInjected, RUN_OVERRIDES } from './support/pods.js';

t.setTimeout(300_000);

t.test('server-side dry run', { skip: noCluster }, async (t) => {
  await installLocalInjector(t, '03-dry-run');
  const namespace = await scenarioNamespace(t, 'dry-run', { labels: { 'sidecar-injection': 'enabled' } });

  const run = await kubectl(['-n', namespace, 'run', 'preview', `--image=${APP_IMAGE}`, ...RUN_OVERRIDES, '--dry-run=server', '-o', 'yaml']);
  const pod = parse(run.stdout) as KubeObject;
  t.equal(pod.kind, 'Pod', 'kubectl printed a Pod');
  assertInjected(t, pod, 'the printed pod');

  const get = await kubectl(['-n', namespace, 'get', 'pod', 'preview'], { allowFailure: true });
  t.not(get.code, 0, 'kubectl get pod preview fails');
  t.match(get.stderr, /NotFound|not found/, 'because the pod does not exist');
  const list = await kubectlJson(['-n', namespace, 'get', 'pods']);
  t.same(list.items, [], 'no pod is stored in the namespace');
});
