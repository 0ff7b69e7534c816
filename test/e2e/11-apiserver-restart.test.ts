// Fault under load, row 3 of RELIABILITY.md: the ConfigMap and Namespace watches cut. The
// injector follows its ConfigMap (--configmap) and the namespaces on a control plane of its
// own (kube-up); while a load generator keeps sending pod reviews, the kube-apiserver is
// killed and started again with the same command line (as test/cluster does). The
// injector keeps answering from what it holds, then its watches come back: a ConfigMap
// edit made after the restart reaches the next pods.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { findApiserver, startApiserver, stopApiserver } from '../cluster/support/apiserver.js';
import { applyObjects, kubectl } from './support/kubectl.js';
import { Load, nowMs } from './support/load.js';
import { findKubeUp, startOwnCluster } from './support/own-cluster.js';
import { assertClean, assertSurvivedAndStop, recordRow, row } from './support/reliability.js';
import { requireBuild, TEMPLATES_DIR } from './support/repo.js';
import { patchedProxyImage, podCreateReview } from './support/reviews.js';
import { ServeProcess } from './support/serve-process.js';
import { waitFor } from './support/wait.js';
import { workFolder } from './support/work-folder.js';

t.setTimeout(300_000);
const kubeUp = findKubeUp();

const INJECTOR_NAMESPACE = 'sidecar-injector';
const CONFIGMAP = 'sidecar-injector';
const IMAGE_LINE = /^(    image: )(\S+)$/m;

t.test('3. the apiserver restarted while the injector is under load', { skip: kubeUp ? false : 'kube-up not found (set KUBE_UP)' }, async (t) => {
  requireBuild();
  const dir = await workFolder(t, '11-apiserver-restart');
  const cluster = await startOwnCluster(t, kubeUp!, join(dir, 'kube'), []);
  const k = ['--kubeconfig', cluster.kubeconfig];

  const shippedConfig = readFileSync(join(TEMPLATES_DIR, 'config.yaml'), 'utf8');
  const template = readFileSync(join(TEMPLATES_DIR, 'sidecar.template.yaml'), 'utf8');
  const shippedImage = IMAGE_LINE.exec(shippedConfig)?.[2];
  t.ok(shippedImage, 'templates/config.yaml sets values.proxy.image');
  const configMap = (config: string) => ({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: CONFIGMAP, namespace: INJECTOR_NAMESPACE },
    data: { 'config.yaml': config, 'sidecar.template.yaml': template },
  });
  await applyObjects([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: INJECTOR_NAMESPACE } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mesh', labels: { 'sidecar-injection': 'enabled' } } },
  ], k);
  await applyObjects([configMap(shippedConfig)], k);

  const caFile = join(dir, 'ca.crt');
  const injector = new ServeProcess({
    flags: ['--kubeconfig', cluster.kubeconfig, '--configmap', `${INJECTOR_NAMESPACE}/${CONFIGMAP}`, '--namespace', INJECTOR_NAMESPACE, '--ca-out', caFile],
    logFile: join(dir, 'injector.log'),
  });
  t.teardown(() => injector.stop().then(() => undefined));
  await injector.start();
  const ca = readFileSync(caFile, 'utf8');

  const restartedImage = 'registry.example.com/e2e/envoy:after-restart';
  let answeredWithNewImage = 0;
  const began = nowMs();
  // Every answer must inject the pod, with the shipped proxy image or (once the edit made
  // after the restart arrives) the new one.
  const load = new Load({
    port: injector.port, ca, review: podCreateReview('mesh'), concurrency: 8,
    check: (response) => {
      const image = patchedProxyImage(response);
      if (!response.allowed || !image) return `not injected: ${JSON.stringify(response).slice(0, 200)}`;
      if (image === restartedImage) answeredWithNewImage++;
      return image === shippedImage || image === restartedImage ? undefined : `unexpected proxy image ${image}`;
    },
  });
  t.teardown(() => load.stop().then(() => undefined));
  await waitFor('traffic before the restart', () => load.succeeded >= 200);

  const apiserver = findApiserver(cluster.kubeconfig);
  if (typeof apiserver === 'string') throw new Error(apiserver);
  await stopApiserver(apiserver);
  const stoppedAt = nowMs();
  const atStop = load.succeeded;
  await waitFor('traffic while the apiserver is down', () => load.succeeded >= atStop + 200);
  startApiserver(apiserver);
  await waitFor('the apiserver back', async () => (await kubectl([...k, 'get', '--raw', '/readyz'], { allowFailure: true })).code === 0, { timeoutMs: 60_000 });
  const servedWhileDown = load.succeeded - atStop;
  const downS = (nowMs() - stoppedAt) / 1000;

  // The watches must have come back: an edit made now reaches the next answers.
  await applyObjects([configMap(shippedConfig.replace(IMAGE_LINE, `$1${restartedImage}`))], k);
  await waitFor('the ConfigMap edit made after the restart to reach the answers', () => answeredWithNewImage > 0, { timeoutMs: 90_000 });
  const atEdit = load.succeeded;
  await waitFor('traffic on the new configuration', () => load.succeeded >= atEdit + 200);
  const counts = await load.stop();
  const maxRssBytes = injector.peakRss();
  const durationS = (nowMs() - began) / 1000;

  assertClean(t, counts, load, 'apiserver restart');
  const relisted = await waitFor('the retried watches in the log', () => injector.logText().includes('Kubernetes list/watch failed; retrying')).catch(() => false);
  t.ok(relisted, 'the injector noticed the cut (its watches retried)');
  const crashes = await assertSurvivedAndStop(t, injector);
  recordRow(t, row(3, 'ConfigMap watch cut (apiserver restarted)', counts, {
    crashes, maxRssBytes, durationS,
    notes: `--configmap mode on a kube-up control plane, closed loop, 8 workers; apiserver killed (SIGKILL) and started again; `
      + `${servedWhileDown} requests answered in the ${downS.toFixed(1)} s it was away; a ConfigMap edit made after the restart reached the answers`,
  }));
});
