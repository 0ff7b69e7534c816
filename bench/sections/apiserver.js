// @ts-check
// Section 4: through a real apiserver (test/e2e/cluster/kube-up, Kubernetes 1.20). The
// injector runs with the kubeconfig (so its namespace cache is the real informer) and is
// registered with the selectors of deploy/base/webhook.yaml, reached at 127.0.0.1 with a
// caBundle. Pods are created in an opted-in namespace and in one the webhook does not
// select, interleaved, by a few parallel clients over keep-alive HTTPS. Then 5,000
// namespaces are created and a second injector lists them all, to see what the cache costs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { apiClient, expectOk, histogram, histogramDelta, kubeDown, kubeUp } from '../lib/kube.js';
import { REPO_ROOT, benchFile } from '../lib/paths.js';
import { runJsonChild, waitFor } from '../lib/proc.js';
import { startInjector } from '../lib/servers.js';
import { summarizeNs } from '../lib/stats.js';

const INJECTED_NS = 'bench-injected';
const PLAIN_NS = 'bench-plain';
const WEBHOOK_NAME = 'namespace.sidecar-injector.io';

/** The typical review's pod, as a user would submit it (no server-set fields). */
function podFrom(review) {
  const pod = structuredClone(JSON.parse(readFileSync(review.path, 'utf8')).request.object);
  const { labels, annotations } = pod.metadata;
  pod.metadata = { generateName: 'bench-', labels, annotations };
  delete pod.status;
  return pod;
}

function webhookConfiguration(url, caPem) {
  const config = YAML.parse(readFileSync(path.join(REPO_ROOT, 'deploy', 'base', 'webhook.yaml'), 'utf8'));
  config.metadata.name = 'sidecar-injector-bench';
  for (const webhook of config.webhooks) {
    webhook.clientConfig = { url, caBundle: Buffer.from(caPem).toString('base64') };
  }
  return config;
}

function namespaceObject(name, labels = {}, annotations = {}) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } };
}

/** Runs `jobs` with `clients` parallel workers, each with its own connection. */
async function inParallel(kubeconfig, clients, jobs, work) {
  let next = 0;
  const workers = Array.from({ length: clients }, async () => {
    const api = apiClient(kubeconfig);
    try {
      while (next < jobs.length) {
        const job = jobs[next++];
        await work(api, job);
      }
    } finally {
      api.close();
    }
  });
  await Promise.all(workers);
}

function containerNames(pod) {
  return (pod?.spec?.containers ?? []).map((c) => c.name);
}

/** Warms the injector with direct HTTPS reviews (spread over `namespaces`), then reads its memory. */
async function warmAndMeasure(injector, review, namespaces, requests) {
  await runJsonChild(benchFile('children/saturate.js'), {
    url: injector.url, bodyFile: review.path, connections: 4, amount: requests, varyIds: true, namespaces,
  });
  await new Promise((r) => setTimeout(r, 500));
  return injector.memory();
}

export async function runApiserver({ review, tls, quick, dir, kubeDir, apiPort, etcdPort, log }) {
  const settings = quick
    ? { pods: 30, warmupPods: 5, clients: 4, namespaces: 500, directRequests: 500 }
    : { pods: 300, warmupPods: 20, clients: 4, namespaces: 5000, directRequests: 2000 };
  const kubeRunDir = path.join('/tmp', 'kube-bench');
  log(`apiserver: kube-up ${kubeRunDir} (apiserver :${apiPort}, etcd :${etcdPort})`);
  const kubeconfig = await kubeUp({ kubeDir, dir: kubeRunDir, apiPort, etcdPort });
  const api = apiClient(kubeconfig);
  const injectors = [];
  try {
    await expectOk(api.request('POST', '/api/v1/namespaces', namespaceObject(INJECTED_NS, { 'sidecar-injection': 'enabled' })), 'creating the opted-in namespace');
    await expectOk(api.request('POST', '/api/v1/namespaces', namespaceObject(PLAIN_NS)), 'creating the plain namespace');

    log('apiserver: starting the injector with the kubeconfig (real namespace informer)');
    const injector = await startInjector({ dir, tls: tls.files, kubeconfig, probe: true, name: 'kube-injector' });
    injectors.push(injector);
    const fewSynced = await injector.logLine('namespace cache synced');
    const memoryFew = await warmAndMeasure(injector, review, [INJECTED_NS, PLAIN_NS], settings.directRequests);

    await expectOk(api.request('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', webhookConfiguration(injector.url, tls.caPem)), 'registering the webhook');
    const pod = podFrom(review);
    // The apiserver picks the configuration up asynchronously: wait until a dry run is injected.
    await waitFor('the webhook to take effect', async () => {
      const res = await api.request('POST', `/api/v1/namespaces/${INJECTED_NS}/pods?dryRun=All`, pod);
      return res.status === 201 && containerNames(res.body).includes('envoy') ? true : undefined;
    }, 30_000, 200);

    const create = async (client, namespace) => {
      const res = await client.request('POST', `/api/v1/namespaces/${namespace}/pods`, pod);
      if (res.status !== 201) throw new Error(`creating a pod in ${namespace}: HTTP ${res.status}: ${res.body?.message ?? res.body}`);
      return { ms: res.ms, injected: containerNames(res.body).includes('envoy') };
    };
    log(`apiserver: warm-up, ${settings.warmupPods} pods per namespace`);
    const warmJobs = Array.from({ length: settings.warmupPods * 2 }, (_, i) => (i % 2 ? PLAIN_NS : INJECTED_NS));
    await inParallel(kubeconfig, settings.clients, warmJobs, (client, ns) => create(client, ns));

    const apiBefore = histogram((await expectOk(api.request('GET', '/metrics'), 'apiserver /metrics')).body, 'apiserver_admission_webhook_admission_duration_seconds', { name: WEBHOOK_NAME });
    const ownBefore = histogram(await injector.metrics(), 'sidecar_injector_request_duration_seconds');
    log(`apiserver: creating ${settings.pods} + ${settings.pods} pods with ${settings.clients} clients`);
    const jobs = Array.from({ length: settings.pods * 2 }, (_, i) => (i % 2 ? PLAIN_NS : INJECTED_NS));
    const latencies = { [INJECTED_NS]: [], [PLAIN_NS]: [] };
    const wrong = { [INJECTED_NS]: 0, [PLAIN_NS]: 0 };
    const started = process.hrtime.bigint();
    await inParallel(kubeconfig, settings.clients, jobs, async (client, ns) => {
      const { ms, injected } = await create(client, ns);
      latencies[ns].push(ms * 1e6);
      if (injected !== (ns === INJECTED_NS)) wrong[ns]++;
    });
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    const apiAfter = histogram((await expectOk(api.request('GET', '/metrics'), 'apiserver /metrics')).body, 'apiserver_admission_webhook_admission_duration_seconds', { name: WEBHOOK_NAME });
    const ownAfter = histogram(await injector.metrics(), 'sidecar_injector_request_duration_seconds');
    // With the apiserver's keep-alive connections open: a clean shutdown is quick and exits 0.
    const shutdown = await injector.stop();
    log(`apiserver: injector stopped in ${shutdown.ms} ms (exit ${shutdown.code ?? shutdown.signal})`);

    log(`apiserver: creating ${settings.namespaces} namespaces`);
    const names = Array.from({ length: settings.namespaces }, (_, i) => `team-${String(i).padStart(4, '0')}`);
    await inParallel(kubeconfig, 8, names, async (client, name) => {
      const i = Number(name.slice(5));
      const labels = { 'sidecar-injection': i % 2 ? 'enabled' : 'disabled', team: `t${i % 97}`, env: i % 3 ? 'prod' : 'staging' };
      const annotations = { 'sidecar-injector.io/proxy-cpu': '100m', owner: `owner-${i}@example.com` };
      const body = namespaceObject(name, labels, annotations);
      // As `kubectl apply` leaves it: the cache must drop this copy.
      body.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = JSON.stringify(namespaceObject(name, labels, annotations));
      await expectOk(client.request('POST', '/api/v1/namespaces', body), `creating namespace ${name}`);
    });
    log('apiserver: a second injector lists them all');
    const second = await startInjector({ dir, tls: tls.files, kubeconfig, probe: true, name: 'kube-injector-many' });
    injectors.push(second);
    const manySynced = await second.logLine('namespace cache synced');
    const memoryMany = await warmAndMeasure(second, review, names, settings.directRequests);
    await second.stop();

    return {
      settings, wallS, shutdown,
      pods: {
        injected: { ...summarizeNs(latencies[INJECTED_NS]), wrong: wrong[INJECTED_NS] },
        plain: { ...summarizeNs(latencies[PLAIN_NS]), wrong: wrong[PLAIN_NS] },
      },
      apiserverHistogram: histogramDelta(apiAfter, apiBefore),
      injectorHistogram: histogramDelta(ownAfter, ownBefore),
      namespaceCache: {
        few: { namespaces: fewSynced.namespaces, memory: memoryFew },
        many: { namespaces: manySynced.namespaces, memory: memoryMany },
        directRequests: settings.directRequests,
      },
    };
  } finally {
    api.close();
    await Promise.all(injectors.map((i) => i.stop()));
    log('apiserver: kube-down');
    await kubeDown({ kubeDir, dir: kubeRunDir });
  }
}
