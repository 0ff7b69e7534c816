// @ts-check
// Section 3: the injector's memory over a long run. A fresh `serve` process (with
// lib/gc-probe.js preloaded, so the heap can be read after a forced full GC) takes the
// typical review with a new uid and pod name on every request, in two equal batches;
// RSS and heap are read after warm-up and after each batch. Twice: standalone, and as
// deployed, with `--kubeconfig` against a real apiserver (namespace informer, Events,
// cluster version: the whole of @kubernetes/client-node that serve loads). The baseline
// server's RSS after the same warm-up is the floor Node.js sets.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { apiClient, controlPlaneAvailable, expectOk, kubeDown, kubeUp } from '../lib/kube.js';
import { postJson, saturate, startBaseline, startInjector } from '../lib/servers.js';

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Warm-up and two batches against one injector; the samples of each point.
 * @param {{ injector: any, load: (server: any, amount: number | undefined, seconds: number) => Promise<any>, warmup?: number, batch?: number, log: (s: string) => void, label: string }} run
 */
export async function longRun({ injector, load, warmup, batch, log, label }) {
  const samples = [];
  const started = await injector.memory();
  samples.push({ point: 'start (no request yet)', requests: 0, ...started });
  log(`memory (${label}): warm-up, ${warmup ?? '1 s of'} requests`);
  let total = 0;
  let run = await load(injector, warmup, 1);
  total += run.requests;
  await pause(500);
  samples.push({ point: 'warm-up', requests: total, ...(await injector.memory()) });
  for (const point of ['batch 1', 'batch 2']) {
    log(`memory (${label}): ${point}, ${batch ?? '3 s of'} requests`);
    run = await load(injector, batch, 3);
    total += run.requests;
    await pause(500);
    samples.push({ point, requests: total, rps: run.rps, errors: run.errors + run.non2xx, ...(await injector.memory()) });
  }
  return samples;
}

/** RSS growth from batch 1 to batch 2 (bytes), the "flat" check. */
export function batchGrowth(samples) {
  return samples[3].rss - samples[2].rss;
}

export async function runMemory({ review, tls, plan, quick, dir, log, kube }) {
  // Quick runs bound each batch by time instead, and say how many requests it made.
  const batch = quick ? undefined : 100_000;
  const warmup = quick ? undefined : 5_000;
  const load = (server, amount, seconds) => saturate(server, { bodyFile: review.path, varyIds: true, amount, durationS: seconds, clientCpu: plan.clientCpu });

  const injector = await startInjector({ dir, tls: tls.files, cpu: plan.serverCpu, probe: true, name: 'memory-injector' });
  let samples;
  let patch;
  try {
    patch = (await postJson(injector.url, tls.files.ca, readFileSync(review.path))).response?.patch;
    samples = await longRun({ injector, load, warmup, batch, log, label: 'standalone' });
  } finally {
    await injector.stop();
  }

  const baseline = await startBaseline({ tls: tls.files, cpu: plan.serverCpu });
  let baselineRss;
  try {
    await load(baseline, warmup, 1);
    await pause(500);
    baselineRss = (await baseline.memory()).rss;
  } finally {
    await baseline.stop();
  }
  // The decided framework's own share: fastify answering the same patch (section 2's
  // fastify floor), after the injector's whole load.
  const floor = await startBaseline({ tls: tls.files, cpu: plan.serverCpu, patch, name: 'memory-fastify-floor', script: 'children/fastify-floor-server.js' });
  let fastifyFloor;
  try {
    fastifyFloor = (await longRun({ injector: floor, load, warmup, batch, log, label: 'fastify floor' })).at(-1);
  } finally {
    await floor.stop();
  }
  const withKube = await kubeMemory({ review, tls, plan, dir, log, kube, load, warmup, batch });
  return {
    batch: samples[2].requests - samples[1].requests, warmup: samples[1].requests, samples, growth: batchGrowth(samples), baselineRss,
    fastifyFloorRss: fastifyFloor.rss, fastifyFloor, kube: withKube,
  };
}

/** The same run with Kubernetes access, or why it was not measured. */
async function kubeMemory({ review, tls, plan, dir, log, kube, load, warmup, batch }) {
  if (!kube) return { skipped: 'quick run: no control plane' };
  if (!controlPlaneAvailable(kube.kubeDir)) return { skipped: `the local control plane is not built (run ${path.join(kube.kubeDir, 'kube-install')} once)` };
  const kubeRunDir = path.join(dir, 'kube-memory');
  log(`memory (kube): kube-up ${kubeRunDir} (apiserver :${kube.apiPort}, etcd :${kube.etcdPort})`);
  const kubeconfig = await kubeUp({ kubeDir: kube.kubeDir, dir: kubeRunDir, apiPort: kube.apiPort, etcdPort: kube.etcdPort });
  try {
    // The review's namespace, opted in as standalone's --namespace-labels makes every namespace.
    const namespace = JSON.parse(readFileSync(review.path, 'utf8')).request.namespace;
    const api = apiClient(kubeconfig);
    try {
      await expectOk(api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'sidecar-injection': 'enabled' } } }), `creating namespace ${namespace}`);
    } finally {
      api.close();
    }
    const injector = await startInjector({ dir, tls: tls.files, cpu: plan.serverCpu, kubeconfig, probe: true, name: 'memory-kube-injector' });
    try {
      await injector.logLine('namespace cache synced');
      const samples = await longRun({ injector, load, warmup, batch, log, label: 'kube' });
      return { batch: samples[2].requests - samples[1].requests, warmup: samples[1].requests, samples, growth: batchGrowth(samples) };
    } finally {
      await injector.stop();
    }
  } finally {
    await kubeDown({ kubeDir: kube.kubeDir, dir: kubeRunDir });
  }
}
