// @ts-check
// Section 4: through a real apiserver (test/e2e/cluster/kube-up, Kubernetes 1.20). The
// injector runs with the kubeconfig (so its namespace cache is the real informer) and is
// registered with the selectors of deploy/base/webhook.yaml, reached at 127.0.0.1 with a
// caBundle. Pods are created in an opted-in namespace and in one the webhook does not
// select, interleaved, by a few parallel clients over keep-alive HTTPS. The registration
// is also answered, in turns with the injector, by two bare servers (the same patch, no
// patch), which tells the apiserver's share of its histogram from ours. Then 5,000
// namespaces are created and a second injector lists them all, to see what the cache costs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import {
  apiClient, connectionsOpened, controlPlanePids, expectOk, histogram, histogramDelta, histogramSum, kubeDown, kubeUp, socketsOnPort,
} from '../lib/kube.js';
import { REPO_ROOT, benchFile } from '../lib/paths.js';
import { cpuSeconds, runJsonChild, waitFor } from '../lib/proc.js';
import { postJson, startBaseline, startInjector } from '../lib/servers.js';
import { summarizeNs } from '../lib/stats.js';

const INJECTED_NS = 'bench-injected';
const PLAIN_NS = 'bench-plain';
const WEBHOOK_NAME = 'namespace.sidecar-injector.io';
const CONFIG_NAME = 'sidecar-injector-bench';

/** The typical review's pod, as a user would submit it (no server-set fields). */
function podFrom(review) {
  const pod = structuredClone(JSON.parse(readFileSync(review.path, 'utf8')).request.object);
  const { labels, annotations } = pod.metadata;
  pod.metadata = { generateName: 'bench-', labels, annotations };
  delete pod.status;
  return pod;
}

/** deploy/base/webhook.yaml pointed at `url`; `prefix` renames its webhooks (the apiserver's histogram is per name). */
function webhookConfiguration(url, caPem, prefix = '') {
  const config = YAML.parse(readFileSync(path.join(REPO_ROOT, 'deploy', 'base', 'webhook.yaml'), 'utf8'));
  config.metadata.name = CONFIG_NAME;
  for (const webhook of config.webhooks) {
    webhook.name = `${prefix}${webhook.name}`;
    webhook.clientConfig = { url, caBundle: Buffer.from(caPem).toString('base64') };
  }
  return config;
}

/** The patch the injector answers for the typical review's pod in the opted-in namespace. */
async function injectorPatch(injector, review, tls) {
  const body = JSON.parse(readFileSync(review.path, 'utf8'));
  body.request.namespace = INJECTED_NS;
  const answer = await postJson(injector.url, tls.files.ca, JSON.stringify(body));
  const base64 = answer?.response?.patch;
  if (typeof base64 !== 'string') throw new Error(`the injector did not inject the typical review in ${INJECTED_NS}: ${JSON.stringify(answer).slice(0, 300)}`);
  const json = Buffer.from(base64, 'base64');
  return { base64, bytes: json.length, ops: JSON.parse(json.toString('utf8')).length };
}

function emptyHistogram() {
  return { buckets: {}, sum: 0, count: 0 };
}

/**
 * @typedef {{ buckets: Record<string, number>, sum: number, count: number }} Histogram
 * @returns {{ wallS: number, cpuS: Record<string, number>, histogram: Histogram, rounds: Array<{ calls: number, atMost5ms: number, meanMs: number }>, connections?: { opened: number, openAtEnd: number }, own?: Histogram }}
 */
function emptyMeasure() {
  return { wallS: 0, cpuS: { apiserver: 0, etcd: 0, webhook: 0 }, histogram: emptyHistogram(), rounds: [] };
}

function cpuOf(pids, webhookPid) {
  return { apiserver: cpuSeconds(pids.apiserver), etcd: cpuSeconds(pids.etcd), webhook: cpuSeconds(webhookPid) };
}

function addCpu(total, before, after) {
  for (const name of Object.keys(total)) total[name] += (after[name] ?? NaN) - (before[name] ?? NaN);
}

/** Per server registered: the apiserver's histogram, and CPU per webhook call of each process (both namespaces' creates included). */
function perCall(measured) {
  return Object.fromEntries(Object.entries(measured).map(([id, m]) => {
    const calls = Math.max(1, m.histogram.count);
    const cpuMsPerCall = Object.fromEntries(Object.entries(m.cpuS).map(([name, s]) => [name, (s * 1000) / calls]));
    return [id, { histogram: m.histogram, rounds: m.rounds, wallS: m.wallS, cpuMsPerCall, connections: m.connections }];
  }));
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

/** Attempts per pod create: the apiserver asks for a retry when etcd is slow (below). */
const MAX_CREATE_ATTEMPTS = 3;

/** Status reasons that say the apiserver could not do it "at this time", not that the pod is wrong. */
const TRY_AGAIN_REASONS = ['ServerTimeout', 'Timeout', 'TooManyRequests'];

/**
 * How long to wait before trying a create again, when the apiserver answered that it could
 * not complete it "at this time" (e.g. etcd timing out on these shared cores): the wait its
 * Status asks for (\`details.retryAfterSeconds\`, which client-go, and so kubectl, honours),
 * else 1 s for a Status whose reason says so (a timed-out POST carries no wait). Undefined
 * for any other failure, which stops the section.
 */
function retryAfterMs(res) {
  if (![429, 500, 503, 504].includes(res.status) || res.body?.kind !== 'Status') return undefined;
  const seconds = res.body.details?.retryAfterSeconds;
  if (typeof seconds === 'number' && seconds > 0) return Math.min(seconds, 5) * 1000;
  return TRY_AGAIN_REASONS.includes(res.body.reason) ? 1000 : undefined;
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
    ? { pods: 30, warmupPods: 5, firstWarmupPods: 10, rounds: 3, clients: 4, namespaces: 500, directRequests: 500 }
    : { pods: 300, warmupPods: 20, firstWarmupPods: 100, rounds: 3, clients: 4, namespaces: 5000, directRequests: 2000 };
  // Per port, so two runs on other ports do not share (and delete) one folder.
  const kubeRunDir = path.join('/tmp', `kube-bench-${apiPort}`);
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

    // The same webhook registration answered by bare servers (children/baseline-server.js):
    // one answering the injector's own patch, one answering no patch. The three take
    // turns, so the apiserver's share of the time is measured in the same run.
    const patch = await injectorPatch(injector, review, tls);
    const floors = [
      await startBaseline({ tls: tls.files, patch: patch.base64, name: 'floor-patch' }),
      await startBaseline({ tls: tls.files, name: 'floor-no-patch' }),
    ];
    injectors.push(...floors);
    const targets = [
      { id: 'injector', server: injector, prefix: '' },
      { id: 'floor-patch', server: floors[0], prefix: 'floor-patch.' },
      { id: 'floor-no-patch', server: floors[1], prefix: 'floor-no-patch.' },
    ];
    const pod = podFrom(review);
    const pids = controlPlanePids(kubeRunDir);
    const apiHistogram = async (hook) => histogram((await expectOk(api.request('GET', '/metrics'), 'apiserver /metrics')).body, 'apiserver_admission_webhook_admission_duration_seconds', { name: hook });
    const retried = [];
    const create = async (client, namespace) => {
      let spentMs = 0;
      for (let attempt = 1; ; attempt++) {
        const res = await client.request('POST', `/api/v1/namespaces/${namespace}/pods`, pod);
        spentMs += res.ms;
        if (res.status === 201) return { ms: spentMs, injected: containerNames(res.body).includes('envoy') };
        const wait = retryAfterMs(res);
        if (wait === undefined || attempt >= MAX_CREATE_ATTEMPTS) throw new Error(`creating a pod in ${namespace} (attempt ${attempt}): HTTP ${res.status} ${res.body?.reason ?? ''}: ${res.body?.message ?? res.body}`);
        retried.push({ namespace, status: res.status, reason: res.body?.reason, message: res.body?.message });
        await new Promise((r) => setTimeout(r, wait));
        spentMs += wait;
      }
    };
    const interleaved = (n) => Array.from({ length: n * 2 }, (_, i) => (i % 2 ? PLAIN_NS : INJECTED_NS));

    const latencies = { [INJECTED_NS]: [], [PLAIN_NS]: [] };
    const wrong = { [INJECTED_NS]: 0, [PLAIN_NS]: 0 };
    const measured = Object.fromEntries(targets.map((t) => [t.id, emptyMeasure()]));
    const blockPods = Math.ceil(settings.pods / settings.rounds);
    for (let round = 0; round < settings.rounds; round++) {
      for (const target of targets) {
        const hook = `${target.prefix}${WEBHOOK_NAME}`;
        await api.request('DELETE', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${CONFIG_NAME}`);
        await expectOk(api.request('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', webhookConfiguration(target.server.url, tls.caPem, target.prefix)), `registering ${target.id}`);
        // The apiserver picks the configuration up asynchronously: wait until a dry run reaches this server.
        const seen = (await apiHistogram(hook)).count;
        await waitFor(`${target.id} to take effect`, async () => {
          await api.request('POST', `/api/v1/namespaces/${INJECTED_NS}/pods?dryRun=All`, pod);
          return (await apiHistogram(hook)).count > seen ? true : undefined;
        }, 30_000, 200);
        // A server's first turn starts with a longer warm-up: with 20 pods, the injector's first
        // turn ran up to 2.4× slower than its later ones (JIT on the apiserver's reviews, the
        // first Events written), which is start-up, not the steady state being measured.
        const warmup = round === 0 ? settings.firstWarmupPods : settings.warmupPods;
        log(`apiserver: round ${round + 1}/${settings.rounds}, ${target.id}: warm-up ${warmup} + ${blockPods} pods per namespace`);
        await inParallel(kubeconfig, settings.clients, interleaved(warmup), (client, ns) => create(client, ns));

        const apiBefore = await apiHistogram(hook);
        const ownBefore = target.id === 'injector' ? histogram(await injector.metrics(), 'sidecar_injector_request_duration_seconds') : undefined;
        const socketsBefore = await socketsOnPort(target.server.port);
        const cpuBefore = cpuOf(pids, target.server.pid);
        const started = process.hrtime.bigint();
        await inParallel(kubeconfig, settings.clients, interleaved(blockPods), async (client, ns) => {
          const { ms, injected } = await create(client, ns);
          if (target.id !== 'injector') return;
          latencies[ns].push(ms * 1e6);
          if (injected !== (ns === INJECTED_NS)) wrong[ns]++;
        });
        const m = measured[target.id];
        m.wallS += Number(process.hrtime.bigint() - started) / 1e9;
        addCpu(m.cpuS, cpuBefore, cpuOf(pids, target.server.pid));
        const conns = connectionsOpened(socketsBefore, await socketsOnPort(target.server.port));
        m.connections = conns && m.connections ? { opened: m.connections.opened + conns.opened, openAtEnd: conns.openAtEnd } : conns;
        const block = histogramDelta(await apiHistogram(hook), apiBefore);
        m.histogram = histogramSum(m.histogram, block);
        m.rounds.push({ calls: block.count, atMost5ms: block.buckets['0.005'] ?? 0, meanMs: (block.sum / Math.max(1, block.count)) * 1000 });
        if (ownBefore) m.own = histogramSum(m.own ?? emptyHistogram(), histogramDelta(histogram(await injector.metrics(), 'sidecar_injector_request_duration_seconds'), ownBefore));
      }
    }
    await api.request('DELETE', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${CONFIG_NAME}`);
    await Promise.all(floors.map((f) => f.stop()));
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
      settings, wallS: measured.injector.wallS, shutdown,
      pods: {
        injected: { ...summarizeNs(latencies[INJECTED_NS]), wrong: wrong[INJECTED_NS] },
        plain: { ...summarizeNs(latencies[PLAIN_NS]), wrong: wrong[PLAIN_NS] },
        retried,
      },
      apiserverHistogram: measured.injector.histogram,
      injectorHistogram: measured.injector.own,
      attribution: { patchBytes: patch.bytes, patchOps: patch.ops, blockPods, targets: perCall(measured) },
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
