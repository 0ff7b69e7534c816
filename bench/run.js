// @ts-check
// `npm run bench`: runs the sections of issues 5 and 15 (in-process, HTTPS against a
// baseline, memory, through a real apiserver), prints the summary table with the
// injector/baseline ratios and the targets, and writes BENCHMARKS.md.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadReviews } from './lib/fixtures.js';
import { cpuPlan, machineFacts } from './lib/machine.js';
import { parseOptions, HELP } from './lib/options.js';
import { imageEnvironment, imageNodeOptions } from './lib/image-options.js';
import { runJsonChild } from './lib/proc.js';
import { benchFile, REPO_ROOT } from './lib/paths.js';
import { fullReport, summaryTable, targetsTable } from './lib/report.js';
import { judgeTargets } from './lib/targets.js';
import { writeServingPair } from './lib/tls.js';
import { controlPlaneAvailable } from './lib/kube.js';
import { runInProcess } from './sections/in-process.js';
import { runHttps } from './sections/https.js';
import { runCpuProfile } from './sections/cpu-profile.js';
import { runMemory } from './sections/memory.js';
import { runApiserver } from './sections/apiserver.js';

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n\n${HELP}`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (options.report) {
  // The measurements of an earlier run (its --json file), reported with today's wording.
  const saved = JSON.parse(readFileSync(options.report, 'utf8'));
  const out = options.out ?? path.join(REPO_ROOT, 'BENCHMARKS.md');
  const quick = saved.quick === true;
  writeFileSync(out, fullReport({ ...saved, options: { ...options, quick }, targets: judgeTargets(saved.results) }));
  process.stderr.write(`bench: wrote ${out} from ${options.report}\n`);
  process.exit(0);
}

const t0 = Date.now();
const log = (msg) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);
const startedAt = new Date().toISOString();
const machine = machineFacts();
const plan = options.pin ? cpuPlan() : { taskset: false, describe: 'not pinned (--no-pin): servers and load generators share the CPUs' };
let reviews;
try {
  reviews = loadReviews(options.fixturesDir);
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
}
/** One of lib/fixtures.js's REVIEWS by its id (all of them are loaded above). */
const byReviewId = (id) => {
  const review = reviews.find((r) => r.id === id);
  if (!review) throw new Error(`no review "${id}" among ${reviews.map((r) => r.id).join(', ')}`);
  return review;
};
const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-bench-'));
log(`${options.quick ? 'quick' : 'full'} run: ${options.sections.join(', ')}; ${machine.cores} cores, load average ${machine.loadAverage.join(' ')}; ${plan.describe}`);
if (machine.loadAverage[0] > machine.cores / 2) {
  log(`warning: the machine is busy (load average ${machine.loadAverage[0]}); absolute numbers will be noisy (ratios against the same-run baseline less so)`);
}

const results = { failed: {}, skipped: {} };
// Child processes are stopped by each section; on Ctrl-C the sections' finally blocks run
// through this rejection rather than leaving servers or a control plane behind.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: stopping after the current step (again to quit at once)`);
  });
}

async function section(name, fn) {
  if (!options.sections.includes(name)) return;
  if (interrupted) {
    results.skipped[name] = 'interrupted';
    return;
  }
  try {
    results[name] = await fn();
  } catch (err) {
    log(`${name} failed: ${err.stack ?? err}`);
    results.failed[name] = err.message.split('\n')[0];
  }
}

try {
  const tls = await writeServingPair(dir);
  const typical = byReviewId('typical');
  await section('in-process', async () => {
    const r = await runInProcess({ fixturesDir: options.fixturesDir, quick: options.quick, cpu: plan.serverCpu, log });
    if (!options.quick) {
      log('in-process: CPU profiles');
      results.profile = {};
      for (const review of [typical, byReviewId('huge')]) {
        results.profile[review.id] = await runJsonChild(benchFile('children/profile.js'), { fixturesDir: options.fixturesDir, file: review.file, seconds: 3 }, { cpu: plan.serverCpu })
          .catch((err) => ({ error: err.message }));
      }
    }
    return r;
  });
  await section('https', () => runHttps({ reviews, tls, plan, quick: options.quick, dir, log }));
  // Issue 15: where the CPU of one admission goes, right after the floors it is compared with.
  await section('cpu-profile', () => runCpuProfile({
    review: typical, tls, plan, quick: options.quick, dir, log, unprofiled: results.https?.reviews.find((r) => r.id === 'typical')?.saturation,
  }));
  await section('memory', async () => {
    // With Kubernetes access too (full runs, or quick ones that include the apiserver section;
    // same ports as that section, which runs after this one).
    const kube = !options.quick || options.sections.includes('apiserver') ? { kubeDir: options.kubeDir, apiPort: options.apiPort, etcdPort: options.etcdPort } : undefined;
    const r = await runMemory({ review: typical, tls, plan, quick: options.quick, dir, log, kube });
    results.footprint = [];
    for (const what of ['bare', 'fastify-stack', 'client-node', 'client-node-slim', 'serve-modules', 'serve-kube-modules']) {
      // With the image's options and environment, as the servers of this section run.
      results.footprint.push(await runJsonChild(benchFile('children/footprint.js'), { what }, { nodeFlags: [...imageNodeOptions(), '--expose-gc'], env: imageEnvironment() }));
    }
    return r;
  });
  if (options.sections.includes('apiserver') && !controlPlaneAvailable(options.kubeDir)) {
    results.skipped.apiserver = `the local control plane is not built (run ${path.join(options.kubeDir, 'kube-install')} once, about 15 minutes)`;
  } else {
    await section('apiserver', () => runApiserver({
      review: typical, tls, quick: options.quick, dir, kubeDir: options.kubeDir, apiPort: options.apiPort, etcdPort: options.etcdPort, log,
    }));
  }
} finally {
  if (options.keep) log(`work folder kept: ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

const targets = judgeTargets(results);
const finishedAt = new Date().toISOString();
const loadAfter = os.loadavg().map((v) => Math.round(v * 100) / 100);
process.stdout.write(`\n${summaryTable(results)}\n\n${targetsTable(targets)}\n`);
for (const [name, err] of Object.entries(results.failed)) process.stdout.write(`\nsection ${name} FAILED: ${err}\n`);
for (const [name, why] of Object.entries(results.skipped)) process.stdout.write(`\nsection ${name} not run: ${why}\n`);
if (options.out) {
  writeFileSync(options.out, fullReport({ results, machine, plan, options, targets, startedAt, finishedAt, loadAfter }));
  log(`wrote ${options.out}`);
}
if (options.json) writeFileSync(options.json, `${JSON.stringify({ machine, plan, startedAt, finishedAt, loadAfter, quick: options.quick, results, targets }, null, 2)}\n`);
log(`done in ${Math.round((Date.now() - t0) / 1000)} s`);
process.exitCode = Object.keys(results.failed).length > 0 ? 1 : 0;
