// @ts-check
// By hand, not part of `npm run bench`: saturation of several builds of `serve` (each a
// folder holding bin/ and dist/, run as its image runs it) against the baseline answering
// the same patch, interleaved round by round, so a change is measured against its
// predecessor in one run.
// Usage: node bench/ab.js ROUNDS SECONDS NAME=ROOT [NAME=ROOT...]
//        node bench/ab.js profile NAME=ROOT [NAME=ROOT...]   the cpu-profile section for each build, in turn
//                                                            (writes bench-ab-NAME.md and .json in the current folder)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadReviews } from './lib/fixtures.js';
import { imageProgram } from './lib/image-options.js';
import { cpuPlan } from './lib/machine.js';
import { withCpuShare } from './lib/proc.js';
import { DEFAULT_FIXTURES_DIR } from './lib/paths.js';
import { postJson, saturate as saturateServer, startBaseline, startInjector } from './lib/servers.js';
import { writeServingPair } from './lib/tls.js';
import { cpuProfileSection } from './lib/report-cpu.js';
import { runCpuProfile } from './sections/cpu-profile.js';

const plan = cpuPlan();
const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-ab-'));
const review = loadReviews(DEFAULT_FIXTURES_DIR).find((r) => r.id === 'typical');
if (!review) throw new Error('no typical review');
const tls = await writeServingPair(dir);
if (process.argv[2] === 'profile') {
  for (const v of process.argv.slice(3)) {
    const [name, root] = v.split('=');
    const log = (msg) => process.stderr.write(`${name}: ${msg}\n`);
    const result = await runCpuProfile({ review, tls, plan, quick: false, dir, log, cli: path.join(root, 'bin', 'sidecar-injector.js') });
    writeFileSync(`bench-ab-${name}.json`, `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(`bench-ab-${name}.md`, `${cpuProfileSection(result)}\n`);
  }
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
const [rounds, seconds, ...variants] = process.argv.slice(2);
const servers = [];
try {
  for (const v of variants) {
    const [name, root] = v.split('=');
    servers.push(await startInjector({ dir, tls: tls.files, cpu: plan.serverCpu, name, cli: imageProgram(root) }));
  }
  const answer = await postJson(servers[0].url, tls.files.ca, readFileSync(review.path));
  servers.push(await startBaseline({ tls: tls.files, cpu: plan.serverCpu, patch: answer.response.patch, name: 'baseline-patch' }));
  const saturate = (server, durationS) => withCpuShare({ server: server.pid }, () => saturateServer(server, {
    bodyFile: review.path, durationS, clientCpu: plan.clientCpu,
  }));
  for (const s of servers) await saturate(s, 2);
  const table = {};
  for (let round = 0; round < Number(rounds); round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    const row = {};
    for (const s of order) {
      const { result, cpu } = await saturate(s, Number(seconds));
      row[s.name] = { rps: result.rps, cpuUs: (cpu.server / result.rps) * 1e6, p99: result.latencyMs.p99, errors: result.errors + result.non2xx };
    }
    const floor = row['baseline-patch'].rps;
    const line = servers.map((s) => `${s.name} ${Math.round(row[s.name].rps)}/s ${Math.round(row[s.name].cpuUs)}µs (${(row[s.name].rps / floor).toFixed(2)}×)`).join(' | ');
    process.stdout.write(`round ${round + 1}: ${line}\n`);
    for (const s of servers) {
      (table[s.name] ??= { rps: [], cpu: [] }).rps.push(row[s.name].rps / floor);
      table[s.name].cpu.push(row[s.name].cpuUs / row['baseline-patch'].cpuUs);
    }
  }
  const spread = (xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return `median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} (min ${sorted[0].toFixed(2)}, max ${sorted.at(-1)?.toFixed(2)})`;
  };
  for (const [name, ratios] of Object.entries(table)) {
    process.stdout.write(`${name}: req/s ÷ baseline-patch's ${spread(ratios.rps)}; CPU per request ÷ baseline-patch's ${spread(ratios.cpu)}\n`);
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
}
