// @ts-check
// Where the CPU of one admission over HTTPS goes: the real `serve` process (as section 2
// runs it) and the baseline answering the same patch, each under `node --cpu-prof`, at
// saturation with autocannon on the typical review. Each profile's samples in the
// measured window are attributed to stages by call stack (lib/cpu-stages.js); a stage's
// CPU per request is the process's CPU per request times its share: the CPU per request
// section 2 measured without the profiler when it ran (the profiler's own sampling costs
// CPU too), else the one measured here under the profiler.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { attributeProfile } from '../lib/cpu-stages.js';
import { UNBUNDLED_CLI } from '../lib/paths.js';
import { cpuSeconds, waitFor } from '../lib/proc.js';
import { postJson, saturate as saturateServer, startBaseline, startInjector } from '../lib/servers.js';
import { cpuPerRequestUs } from '../lib/stats.js';
import { INJECTOR, PATCH_BASELINE } from './https.js';

/** V8's sampling interval: fine enough for a few thousand samples per second of load, light enough not to change it much. */
const SAMPLING_INTERVAL_US = 250;

/** `node --cpu-prof` flags writing into `folder` (the profile is written when the process exits). */
const profileFlags = (folder) => ['--cpu-prof', `--cpu-prof-dir=${folder}`, `--cpu-prof-interval=${SAMPLING_INTERVAL_US}`];

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * `unprofiled`: section 2's saturation figures for the same review, when it ran; `cli`:
 * another build's launcher (before/after comparisons by hand). The unbundled program by
 * default: stages are told apart by the files the profile names.
 * @param {{ review: { id: string, path: string }, tls: any, plan: any, quick: boolean, dir: string, log: (msg: string) => void,
 *   unprofiled?: Record<string, { serverCpu: number, rps: number }>, cli?: string }} options
 */
export async function runCpuProfile({ review, tls, plan, quick, dir, log, unprofiled, cli = UNBUNDLED_CLI }) {
  const settings = quick ? { warmupS: 1, profileS: 3, connections: 10 } : { warmupS: 2, profileS: 8, connections: 10 };
  const folders = { injector: path.join(dir, 'cpu-prof-injector'), baseline: path.join(dir, 'cpu-prof-baseline') };
  const injector = await startInjector({ dir, tls: tls.files, cpu: plan.serverCpu, name: 'cpu-profile-injector', nodeFlags: profileFlags(folders.injector), cli });
  let baseline;
  const measured = {};
  try {
    const answer = await postJson(injector.url, tls.files.ca, readFileSync(review.path));
    if (!answer.response?.patch) throw new Error(`the injector did not patch the ${review.id} review`);
    baseline = await startBaseline({ tls: tls.files, cpu: plan.serverCpu, patch: answer.response.patch, name: PATCH_BASELINE, nodeFlags: profileFlags(folders.baseline) });
    const saturate = (server, durationS) => saturateServer(server, {
      bodyFile: review.path, connections: settings.connections, durationS, clientCpu: plan.clientCpu,
    });
    for (const [key, server] of /** @type {const} */ ([['injector', injector], ['baseline', baseline]])) {
      log(`cpu-profile: warming up ${server.name}`);
      await saturate(server, settings.warmupS);
      log(`cpu-profile: ${server.name} under --cpu-prof at saturation (${settings.profileS} s)`);
      const cpuBefore = cpuSeconds(server.pid);
      const fromUs = nowUs();
      const result = await saturate(server, settings.profileS);
      const toUs = nowUs();
      const cpuS = (cpuSeconds(server.pid) ?? NaN) - (cpuBefore ?? NaN);
      measured[key] = { pid: server.pid, fromUs, toUs, rps: result.rps, requests: result.requests, errors: result.errors + result.non2xx, cpuUsPerRequest: (cpuS * 1e6) / result.requests };
    }
  } finally {
    await Promise.all([injector.stop(), baseline?.stop()]);
  }
  const out = { settings: { ...settings, samplingIntervalUs: SAMPLING_INTERVAL_US, review: review.id } };
  const reference = { injector: unprofiled?.[INJECTOR], baseline: unprofiled?.[PATCH_BASELINE] };
  for (const key of /** @type {const} */ (['injector', 'baseline'])) {
    const m = measured[key];
    const ref = reference[key];
    const unprofiledUs = ref ? cpuPerRequestUs(ref) : undefined;
    const perRequest = unprofiledUs ?? m.cpuUsPerRequest;
    const profile = await readProfile(folders[key], m.pid);
    const attribution = attributeProfile(profile, { fromUs: m.fromUs, toUs: m.toUs });
    out[key] = {
      rps: m.rps, requests: m.requests, errors: m.errors, cpuUsPerRequest: m.cpuUsPerRequest, unprofiledCpuUsPerRequest: unprofiledUs,
      ...attribution,
      stages: attribution.stages.map((s) => ({ ...s, usPerRequest: s.share * perRequest })),
    };
  }
  return out;
}

/** The profile `node --cpu-prof` wrote for `pid` on exit (its name holds the pid). */
async function readProfile(folder, pid) {
  const file = await waitFor(`the CPU profile of process ${pid} in ${folder}`, () => {
    let names = [];
    try {
      names = readdirSync(folder);
    } catch { /* not written yet */ }
    return names.find((n) => n.endsWith('.cpuprofile') && n.includes(`.${pid}.`));
  }, 10_000);
  return JSON.parse(readFileSync(path.join(folder, file), 'utf8'));
}
