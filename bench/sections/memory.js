// @ts-check
// Section 3: the injector's memory over a long run. A fresh `serve` process (with
// lib/gc-probe.js preloaded, so the heap can be read after a forced full GC) takes the
// typical review with a new uid and pod name on every request, in two equal batches;
// RSS and heap are read after warm-up and after each batch. The baseline server's RSS
// after the same warm-up is the floor Node.js sets.
import { runJsonChild } from '../lib/proc.js';
import { benchFile } from '../lib/paths.js';
import { startBaseline, startInjector } from '../lib/servers.js';

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

export async function runMemory({ review, tls, plan, quick, dir, log }) {
  // Quick runs bound each batch by time instead, and say how many requests it made.
  const batch = quick ? undefined : 100_000;
  const warmup = quick ? undefined : 5_000;
  const load = (server, amount, seconds) => runJsonChild(benchFile('children/saturate.js'), {
    url: server.url, bodyFile: review.path, connections: 10, varyIds: true,
    ...(amount ? { amount } : { durationS: seconds }),
  }, { cpu: plan.clientCpu });

  const injector = await startInjector({ dir, tls: tls.files, cpu: plan.serverCpu, probe: true, name: 'memory-injector' });
  const samples = [];
  try {
    const started = await injector.memory();
    samples.push({ point: 'start (no request yet)', requests: 0, ...started });
    log(`memory: warm-up, ${warmup ?? '1 s of'} requests`);
    let total = 0;
    let run = await load(injector, warmup, 1);
    total += run.requests;
    await pause(500);
    samples.push({ point: 'warm-up', requests: total, ...(await injector.memory()) });
    for (const label of ['batch 1', 'batch 2']) {
      log(`memory: ${label}, ${batch ?? '3 s of'} requests`);
      run = await load(injector, batch, 3);
      total += run.requests;
      await pause(500);
      samples.push({ point: label, requests: total, rps: run.rps, errors: run.errors + run.non2xx, ...(await injector.memory()) });
    }
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
  return { batch: samples[2].requests - samples[1].requests, warmup: samples[1].requests, samples, baselineRss };
}
