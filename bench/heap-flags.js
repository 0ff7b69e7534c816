// @ts-check
// Node.js/V8 options for the image, compared in one run: each candidate starts a fresh
// `serve --standalone` (or `--kubeconfig` with --kube) and takes section 3's load (5,000
// warm-up requests, two batches of 100,000, new uid and pod name each), then the open-loop
// client at 500 and 1000 req/s (p99), candidates interleaved round by round so the machine's
// load hits all alike. Prints one JSON line per run and a summary with each candidate's
// ratios to the first, per round. Not part of `npm run bench`; `npm run build` first.
// Usage: node bench/heap-flags.js [--rounds N] [--batch N] [--quick] [--kube] [--no-pin] [--only name,name]
//        [--before-cli path/to/other/build/bin/sidecar-injector.js]
//        [--candidate 'name=--flag --flag' ...] [--cli path/to/bin/sidecar-injector.js]
//        [--program 'name=path/to/entry.js [--flag ...]' ...] (another program, the image's options and these)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { imageEnvironment, imageNodeOptions } from './lib/image-options.js';
import { cpuPlan } from './lib/machine.js';
import { apiClient, expectOk, kubeDown, kubeUp } from './lib/kube.js';
import { benchFile, DEFAULT_FIXTURES_DIR, DEFAULT_KUBE_DIR } from './lib/paths.js';
import { runJsonChild } from './lib/proc.js';
import { saturate, startInjector } from './lib/servers.js';
import { writeServingPair } from './lib/tls.js';
import { longRun } from './sections/memory.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' }, batch: { type: 'string', default: '100000' }, 'before-cli': { type: 'string' }, quick: { type: 'boolean' }, kube: { type: 'boolean' },
    only: { type: 'string' }, candidate: { type: 'string', multiple: true }, program: { type: 'string', multiple: true }, cli: { type: 'string' },
    'no-pin': { type: 'boolean' }, 'api-port': { type: 'string', default: '6843' }, 'etcd-port': { type: 'string', default: '2779' },
  },
});
const old = ['--max-old-space-size=112'];
/** @type {Record<string, { flags: string[], env?: Record<string, string>, cli?: string }>} name -> node options, extra environment, program */
const CANDIDATES = {
  image: { flags: imageNodeOptions(), env: imageEnvironment() },
  'old-112': { flags: old },
  'semi-2': { flags: [...old, '--max-semi-space-size=2'] },
  'semi-4': { flags: [...old, '--max-semi-space-size=4'] },
  'semi-8': { flags: [...old, '--max-semi-space-size=8'] },
  'optimize-for-size': { flags: [...old, '--optimize-for-size'] },
  'single-threaded-gc': { flags: [...old, '--single-threaded-gc'] },
  'v8-pool-2+uv-2': { flags: [...old, '--v8-pool-size=2'], env: { UV_THREADPOOL_SIZE: '2' } },
};
// Another build of the program (e.g. the commit before a change), with the old image options.
if (values['before-cli']) CANDIDATES.before = { flags: old, cli: values['before-cli'] };
/** `name=word word ...` (--candidate, --program): the name and the words. */
function namedWords(spec) {
  const at = spec.indexOf('=');
  return { name: spec.slice(0, at), words: spec.slice(at + 1).split(/\s+/).filter(Boolean) };
}
for (const spec of values.candidate ?? []) {
  const { name, words } = namedWords(spec);
  const env = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => w.split('=')));
  CANDIDATES[name] = { flags: words.filter((w) => !/^[A-Z_]+=/.test(w)), env };
}
for (const spec of values.program ?? []) {
  const { name, words: [cli, ...flags] } = namedWords(spec);
  CANDIDATES[name] = { flags: [...imageNodeOptions(), ...flags], env: imageEnvironment(), cli };
}
const names = values.only ? values.only.split(',') : Object.keys(CANDIDATES);
const log = (msg) => process.stderr.write(`[heap-flags] ${msg}\n`);
// --no-pin: servers and clients float (other benchmarks on a shared machine pin to the same cores).
const plan = values['no-pin'] ? { serverCpu: undefined, clientCpu: undefined } : cpuPlan();
const dir = mkdtempSync(path.join(os.tmpdir(), 'heap-flags-'));
const reviewPath = path.join(DEFAULT_FIXTURES_DIR, '03-v1-checkout-57c78896fb.json');
const load = (server, amount, seconds) => saturate(server, { bodyFile: reviewPath, varyIds: true, amount, durationS: seconds, clientCpu: plan.clientCpu });

let kubeconfig;
const kubeDir = DEFAULT_KUBE_DIR;
const kubeRunDir = path.join(dir, 'kube');
try {
  const tls = await writeServingPair(dir);
  if (values.kube) {
    kubeconfig = await kubeUp({ kubeDir, dir: kubeRunDir, apiPort: Number(values['api-port']), etcdPort: Number(values['etcd-port']) });
    const api = apiClient(kubeconfig);
    const namespace = JSON.parse(readFileSync(reviewPath, 'utf8')).request.namespace;
    await expectOk(api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'sidecar-injection': 'enabled' } } }), 'namespace');
    api.close();
  }
  const runs = [];
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const name of names) {
      const c = CANDIDATES[name];
      const injector = await startInjector({ dir, tls: tls.files, cpu: plan.serverCpu, probe: true, kubeconfig, name: `${name}-${round}`, nodeOptions: c.flags, env: c.env ?? {}, cli: c.cli ?? values.cli });
      try {
        if (kubeconfig) await injector.logLine('namespace cache synced');
        const samples = await longRun({ injector, load, warmup: values.quick ? undefined : 5_000, batch: values.quick ? undefined : Number(values.batch), log, label: `${name} round ${round}` });
        const p99 = {};
        for (const rate of [500, 1000]) {
          const r = await runJsonChild(benchFile('children/paced.js'), { url: injector.url, caFile: tls.files.ca, bodyFile: reviewPath, rate, durationS: values.quick ? 3 : 6, warmupS: 1, connections: 16 }, { cpu: plan.clientCpu });
          p99[rate] = r.latencyMs.p99;
        }
        const run = {
          name, round, flags: [...c.flags, ...Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${v}`)].join(' '),
          requests: samples[3].requests, rssMiB: samples.map((s) => +(s.rss / 2 ** 20).toFixed(1)),
          heapTotalMiB: +(samples[3].before.heapTotal / 2 ** 20).toFixed(1), heapUsedAfterGcMiB: +(samples[3].after.heapUsed / 2 ** 20).toFixed(1),
          saturationRps: Math.round((samples[2].rps + samples[3].rps) / 2), p99Ms: p99,
        };
        runs.push(run);
        process.stdout.write(`${JSON.stringify(run)}\n`);
      } finally {
        await injector.stop();
      }
    }
  }
  log('summary (ratios to the first candidate of the same round):');
  for (const run of runs) {
    const base = runs.find((r) => r.round === run.round && r.name === names[0]);
    if (!base) continue;
    const ratio = (a, b) => (a / b).toFixed(2);
    log(`${run.name.padEnd(20)} r${run.round}  RSS ${run.rssMiB[3]} MiB (${ratio(run.rssMiB[3], base.rssMiB[3])}x)  sat ${run.saturationRps} (${ratio(run.saturationRps, base.saturationRps)}x)  p99@500 ${run.p99Ms[500].toFixed(2)} ms (${ratio(run.p99Ms[500], base.p99Ms[500])}x)  p99@1000 ${run.p99Ms[1000].toFixed(2)} ms (${ratio(run.p99Ms[1000], base.p99Ms[1000])}x)`);
  }
} finally {
  if (kubeconfig) await kubeDown({ kubeDir, dir: kubeRunDir });
  rmSync(dir, { recursive: true, force: true });
}
