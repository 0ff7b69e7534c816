// @ts-check
// The targets of issues 5, 13 and 15, judged from one run's results. A target whose section did not
// run is "not measured", never "met".
import { bytes, duration, ms, ratio } from './format.js';
import { cpuPerRequestUs } from './stats.js';
import { FASTIFY_FLOOR, INJECTOR, PATCH_BASELINE } from '../sections/https.js';

const MiB = 1024 * 1024;
/** Growth between the two batches that still counts as flat (heap after a full GC, RSS). */
export const FLAT = { heap: 1 * MiB, rss: 4 * MiB };
/** Issue 15's RSS limits after 205,000 requests, in MiB. */
export const RSS_LIMIT_MIB = { standalone: 80, kube: 110 };

export function judgeTargets(results) {
  const targets = [];
  const add = (id, target, measured, met) => targets.push({ id, target, measured, met });
  const inProcess = results['in-process'];
  const byId = (list, id) => list?.find((r) => r.id === id);

  // Issue 15: the in-process path on the typical review, from the render cache and without it.
  const typical = byId(inProcess?.reviews, 'typical');
  const huge = byId(inProcess?.reviews, 'huge');
  add('render-miss', 'typical review in-process, render cache miss (first pod of a workload): median ≤ 300 µs',
    typical?.distinct ? `${duration(typical.distinct.medianUs)} (p99 ${duration(typical.distinct.p99Us)})` : undefined,
    typical?.distinct ? typical.distinct.medianUs <= 300 : undefined);
  add('render-hit', 'typical review in-process, render cache hit: median ≤ 100 µs',
    typical ? `${duration(typical.core.medianUs)} (p99 ${duration(typical.core.p99Us)}; the floor, JSON.parse and a fixed answer: ${duration(typical.floor.medianUs)})` : undefined,
    typical ? typical.core.medianUs <= 100 : undefined);
  add('in-process-huge', 'huge 390 KB review in-process: median ≤ 5 ms (issue 5)',
    huge ? `${duration(huge.core.medianUs)} (p99 ${duration(huge.core.p99Us)})` : undefined,
    huge ? huge.core.medianUs <= 5000 : undefined);

  // Issue 13: the istio profile's render, beside the default profile's.
  const istio = byId(inProcess?.profiles, 'istio');
  const standard = byId(inProcess?.profiles, 'default');
  add('istio-render-miss', 'istio profile, typical review: render on a cache miss ≤ 1 ms median (issue 13)',
    istio ? `${duration(istio.miss.medianUs)} (default profile ${standard ? duration(standard.miss.medianUs) : 'n/a'})` : undefined,
    istio ? istio.miss.medianUs <= 1000 : undefined);
  add('istio-render-hit', 'istio profile, typical review: render cache hit no slower than the default profile\'s (issue 13)',
    istio && standard ? `${duration(istio.hit.medianUs)} vs ${duration(standard.hit.medianUs)}` : undefined,
    // Within the timer's noise: a microsecond-scale lookup.
    istio && standard ? istio.hit.medianUs <= standard.hit.medianUs * 1.1 + 0.5 : undefined);

  // Issue 15: over HTTPS, against the floor that answers the same patch (same run).
  const https = byId(results.https?.reviews, 'typical');
  const sat = https?.saturation;
  const floor = sat?.[PATCH_BASELINE];
  // The median of the per-round ratios when the servers took turns over several rounds.
  const rounds = https?.saturationRatios?.[PATCH_BASELINE];
  const throughputRatio = rounds ? rounds.median : sat && floor ? sat[INJECTOR].rps / floor.rps : undefined;
  const perRound = rounds && rounds.rounds.length > 1 ? `median of ${rounds.rounds.length} rounds: ${rounds.rounds.map((x) => ratio(x)).join(', ')}; ` : '';
  add('https-throughput', 'HTTPS saturation, typical review: ≥ 0.9 × the baseline answering the same patch',
    throughputRatio !== undefined ? `${ratio(throughputRatio)} (${perRound}${Math.round(sat[INJECTOR].rps)} vs ${Math.round(floor.rps)} req/s)${frameworkFloor(https)}` : undefined,
    throughputRatio !== undefined ? throughputRatio >= 0.9 : undefined);
  const at500 = https?.rates?.[500];
  const injector500 = at500?.[INJECTOR];
  const floor500 = at500?.[PATCH_BASELINE] ?? at500?.baseline;
  const floorName = at500?.[PATCH_BASELINE] ? 'the baseline answering the same patch' : 'the baseline';
  // The median of the per-round ratios when the servers took turns over several rounds.
  const p99Rounds = https?.p99Ratios?.[500]?.[at500?.[PATCH_BASELINE] ? PATCH_BASELINE : 'baseline'];
  const p99Ratio = injector500 && floor500 && !injector500.overCapacity && !floor500.overCapacity
    ? p99Rounds?.median ?? injector500.latencyMs.p99 / floor500.latencyMs.p99 : undefined;
  add('https-p99-500', 'HTTPS p99 at 500 req/s, typical review: ≤ 2 × the floor\'s p99',
    injector500 ? (injector500.overCapacity ? `over capacity (${Math.round(injector500.capacityRps)} req/s at saturation)`
      : `${ms(injector500.latencyMs.p99)} vs ${floor500 && !floor500.overCapacity ? ms(floor500.latencyMs.p99) : 'n/a'} (${floorName}): ${ratio(p99Ratio)}${p99Rounds && p99Rounds.rounds.length > 1 ? ` (median of ${p99Rounds.rounds.length} rounds: ${p99Rounds.rounds.map((x) => ratio(x)).join(', ')}; each server's median round shown)` : ''}`) : undefined,
    p99Ratio !== undefined ? p99Ratio <= 2 && injector500.errors === 0 : undefined);

  const memory = results.memory;
  for (const [id, label, samples, limit] of [
    ['memory-rss', 'standalone', memory?.samples, RSS_LIMIT_MIB.standalone],
    ['memory-rss-kube', 'with Kubernetes access', memory?.kube?.samples, RSS_LIMIT_MIB.kube],
  ]) {
    if (samples) {
      const [, , b1, b2] = samples;
      const heapGrowth = b2.after.heapUsed - b1.after.heapUsed;
      const rssGrowth = b2.rss - b1.rss;
      add(id, `RSS ${label} ≤ ${limit} MiB after ${b2.requests.toLocaleString('en-US')} requests, flat between the two batches`,
        `${bytes(b2.rss)}; batch 2 − batch 1: heap after GC ${heapGrowth >= 0 ? '+' : ''}${bytes(heapGrowth)}, RSS ${rssGrowth >= 0 ? '+' : ''}${bytes(rssGrowth)}`,
        b2.rss <= limit * MiB && heapGrowth <= FLAT.heap && rssGrowth <= FLAT.rss);
    } else {
      add(id, `RSS ${label} ≤ ${limit} MiB after 205,000 requests, flat between the two batches`, undefined, undefined);
    }
  }

  const api = results.apiserver;
  const h = api?.apiserverHistogram;
  const within = h ? (h.buckets['0.005'] ?? 0) : 0;
  add('apiserver-bucket', 'through kube-up: ≥ 90 % of the apiserver\'s webhook calls in its ≤ 5 ms bucket',
    h ? `${within} of ${h.count} calls ≤ 5 ms (${h.count ? Math.round((100 * within) / h.count) : 0} %, mean ${ms((h.sum / h.count) * 1000)})` : undefined,
    h ? h.count > 0 && within >= 0.9 * h.count : undefined);
  return targets;
}

/** The fastify floor's own rate over the same floor, by CPU per request (what a framework with no work of its own reaches). */
function frameworkFloor(https) {
  const sat = https?.saturation;
  const [fw, floor] = [sat?.[FASTIFY_FLOOR], sat?.[PATCH_BASELINE]];
  if (!fw || !floor) return '';
  // By req/s: the injector's median ratios to each floor give the floors' ratio within the same rounds.
  const [overFloor, overFw] = [https.saturationRatios?.[PATCH_BASELINE]?.median, https.saturationRatios?.[FASTIFY_FLOOR]?.median];
  const byRate = overFloor && overFw ? overFloor / overFw : fw.rps / floor.rps;
  return `; fastify answering the same patch and doing nothing else: ${ratio(cpuPerRequestUs(floor) / cpuPerRequestUs(fw))} by CPU per request, ${ratio(byRate)} by req/s`;
}
