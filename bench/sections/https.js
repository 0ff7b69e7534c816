// @ts-check
// Section 2: the real `serve` process over HTTPS keep-alive, against the baseline server
// measured in the same run, review by review, alternating the two servers so that any
// change in the machine's load hits both. Saturation with autocannon (children/
// saturate.js); fixed offered rates with the open-loop client (children/paced.js).
// A second baseline answers with the injector's own patch for the typical review: the gap
// between the two baselines is what the answer's size costs by itself. A third, on the
// typical review, is fastify answering that patch and doing nothing else: the floor of the
// decided stack, so the CPU beyond it is the injector's own.
import { readFileSync } from 'node:fs';
import { runJsonChild, withCpuShare } from '../lib/proc.js';
import { benchFile } from '../lib/paths.js';
import { median } from '../lib/stats.js';
import { postJson, saturate as saturateServer, startBaseline, startInjector } from '../lib/servers.js';

export const PATCH_BASELINE = 'baseline-patch';
export const FASTIFY_FLOOR = 'fastify-floor';

export const RATES = [200, 500, 1000];

export const INJECTOR = 'https-injector';
/** The offered rate whose p99 issue 15 judges (typical review). */
export const JUDGED_RATE = 500;

/**
 * Runs taking turns over rounds, by server: each server's figures from its median round by
 * `value` (with every round's value under `field`), and the injector's value over each
 * other server's as the median of the per-round ratios (servers compared within a round,
 * on the same machine state).
 * @param {Record<string, Array<Record<string, any>>>} rounds
 * @param {(run: Record<string, any>) => number} value
 * @param {string} field
 */
function medianRounds(rounds, value, field) {
  /** @type {Record<string, Record<string, any>>} */
  const figures = {};
  for (const [name, list] of Object.entries(rounds)) {
    const sorted = [...list].sort((a, b) => value(a) - value(b));
    figures[name] = { ...sorted[Math.floor((sorted.length - 1) / 2)], [field]: list.map(value) };
  }
  /** @type {Record<string, { median: number, rounds: number[] }>} */
  const ratios = {};
  for (const name of Object.keys(rounds)) {
    if (name === INJECTOR || !rounds[INJECTOR] || rounds[name].length !== rounds[INJECTOR].length) continue;
    const perRound = rounds[INJECTOR].map((x, i) => value(x) / value(rounds[name][i]));
    ratios[name] = { median: median(perRound), rounds: perRound };
  }
  return { figures, ratios };
}

export async function runHttps({ reviews, tls, plan, quick, dir, log }) {
  const settings = quick
    ? { warmupS: 1, saturationS: 2, saturationRounds: 1, rateRounds: 1, rateS: 2, rates: [500], reviews: ['typical'], rateReviews: ['typical'], connections: 10 }
    : { warmupS: 2, saturationS: 4, saturationRounds: 3, rateRounds: 3, rateS: 5, rates: RATES, reviews: ['small', 'typical', 'huge'], rateReviews: ['small', 'typical', 'huge'], connections: 10 };
  const injector = await startInjector({ dir, tls: tls.files, cpu: plan.serverCpu, name: INJECTOR });
  const baseline = await startBaseline({ tls: tls.files, cpu: plan.serverCpu });
  const typical = reviews.find((r) => r.id === 'typical') ?? reviews[0];
  const answer = await postJson(injector.url, tls.files.ca, readFileSync(typical.path));
  if (!answer.response?.patch) throw new Error(`the injector did not patch the ${typical.id} review: ${JSON.stringify(answer).slice(0, 300)}`);
  const patchBaseline = await startBaseline({ tls: tls.files, cpu: plan.serverCpu, patch: answer.response.patch, name: PATCH_BASELINE });
  const fastifyFloor = await startBaseline({ tls: tls.files, cpu: plan.serverCpu, patch: answer.response.patch, name: FASTIFY_FLOOR, script: 'children/fastify-floor-server.js' });
  const floorAnswer = await postJson(fastifyFloor.url, tls.files.ca, readFileSync(typical.path));
  if (floorAnswer.response?.patch !== answer.response.patch) throw new Error(`the fastify floor answered another patch than the injector's: ${JSON.stringify(floorAnswer).slice(0, 300)}`);
  const servers = [injector, baseline, patchBaseline, fastifyFloor];
  const results = [];
  try {
    for (const review of reviews.filter((r) => settings.reviews.includes(r.id))) {
      const entry = { id: review.id, size: review.size, saturation: {}, rates: {} };
      results.push(entry);
      const saturate = (server, durationS) => withCpuShare({ server: server.pid }, () => saturateServer(server, {
        bodyFile: review.path, connections: settings.connections, durationS, clientCpu: plan.clientCpu,
      }));
      const saturated = review.id === 'typical' ? servers : servers.filter((s) => s !== fastifyFloor);
      for (const server of saturated) {
        log(`https: ${review.id}: warming up ${server.name}`);
        await saturate(server, settings.warmupS);
      }
      // Rounds taking turns between the servers: this machine's speed drifts by up to 2x
      // within a minute, so one run each compares two different machines.
      /** @type {Record<string, Array<Record<string, any>>>} */
      const rounds = {};
      for (let round = 1; round <= settings.saturationRounds; round++) {
        for (const server of saturated) {
          log(`https: ${review.id}: ${server.name} at saturation (${settings.connections} connections, ${settings.saturationS} s, round ${round}/${settings.saturationRounds})`);
          const { result, cpu } = await saturate(server, settings.saturationS);
          (rounds[server.name] ??= []).push({ ...result, serverCpu: cpu.server });
        }
      }
      const { figures, ratios } = medianRounds(rounds, (run) => run.rps, 'roundsRps');
      entry.saturation = figures;
      entry.saturationRatios = ratios;
      for (const rate of settings.rateReviews.includes(review.id) ? settings.rates : []) {
        entry.rates[rate] = {};
        // The floor that answers the same patch is paced too on the typical review: issue 15
        // judges the injector's p99 at JUDGED_RATE against it, over rounds taking turns (a
        // p99 of a few seconds moves with every hiccup of this machine).
        const paced = review.id === 'typical' ? [injector, baseline, patchBaseline] : [injector, baseline];
        const roundsHere = review.id === 'typical' && rate === JUDGED_RATE ? settings.rateRounds : 1;
        /** @type {Record<string, Array<Record<string, any>>>} */
        const rounds = {};
        for (let round = 1; round <= roundsHere; round++) {
          for (const server of paced) {
            const capacity = entry.saturation[server.name].rps;
            if (rate > 0.9 * capacity) {
              entry.rates[rate][server.name] = { overCapacity: true, capacityRps: capacity };
              continue;
            }
            log(`https: ${review.id}: ${server.name} at ${rate} req/s for ${settings.rateS} s${roundsHere > 1 ? ` (round ${round}/${roundsHere})` : ''}`);
            const { result, cpu } = await withCpuShare({ server: server.pid }, () => runJsonChild(benchFile('children/paced.js'), {
              url: server.url, caFile: tls.files.ca, bodyFile: review.path, rate, durationS: settings.rateS, warmupS: 1, connections: 16,
            }, { cpu: plan.clientCpu }));
            (rounds[server.name] ??= []).push({ ...result, serverCpu: cpu.server });
          }
        }
        const { figures, ratios } = medianRounds(rounds, (run) => run.latencyMs.p99, 'roundsP99Ms');
        Object.assign(entry.rates[rate], figures);
        if (roundsHere > 1) (entry.p99Ratios ??= {})[rate] = ratios;
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  return { settings, patchBytes: Buffer.from(answer.response.patch, 'base64').length, reviews: results };
}
