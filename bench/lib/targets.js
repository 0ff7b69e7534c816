// @ts-check
// The targets of issue 5, judged from one run's results. A target whose section did not
// run is "not measured", never "met".
import { bytes, duration, ms, ratio } from './format.js';

const MiB = 1024 * 1024;
/** Growth between the two batches that still counts as flat (heap after a full GC, RSS). */
export const FLAT = { heap: 1 * MiB, rss: 4 * MiB };

export function judgeTargets(results) {
  const targets = [];
  const add = (id, target, measured, met) => targets.push({ id, target, measured, met });
  const inProcess = results['in-process'];
  const byId = (list, id) => list?.find((r) => r.id === id);

  const typical = byId(inProcess?.reviews, 'typical');
  const huge = byId(inProcess?.reviews, 'huge');
  add('in-process-typical', 'typical review in-process: median ≤ 100 µs',
    typical ? `${duration(typical.core.medianUs)} (p99 ${duration(typical.core.p99Us)})${typical.distinct ? `; first pod of a workload (render cache miss) ${duration(typical.distinct.medianUs)}` : ''}` : undefined,
    typical ? typical.core.medianUs <= 100 : undefined);
  add('in-process-huge', 'huge 390 KB review in-process: median ≤ 5 ms',
    huge ? `${duration(huge.core.medianUs)} (p99 ${duration(huge.core.p99Us)})` : undefined,
    huge ? huge.core.medianUs <= 5000 : undefined);

  // Issue 13: the istio profile's render, beside the default profile's.
  const istio = byId(inProcess?.profiles, 'istio');
  const standard = byId(inProcess?.profiles, 'default');
  add('istio-render-miss', 'istio profile, typical review: render on a cache miss ≤ 1 ms median',
    istio ? `${duration(istio.miss.medianUs)} (default profile ${standard ? duration(standard.miss.medianUs) : 'n/a'})` : undefined,
    istio ? istio.miss.medianUs <= 1000 : undefined);
  add('istio-render-hit', 'istio profile, typical review: render cache hit no slower than the default profile\'s',
    istio && standard ? `${duration(istio.hit.medianUs)} vs ${duration(standard.hit.medianUs)}` : undefined,
    // Within the timer's noise: a microsecond-scale lookup.
    istio && standard ? istio.hit.medianUs <= standard.hit.medianUs * 1.1 + 0.5 : undefined);

  const https = byId(results.https?.reviews, 'typical');
  const sat = https?.saturation;
  const throughputRatio = sat ? sat['https-injector'].rps / sat.baseline.rps : undefined;
  add('https-throughput', 'HTTPS throughput ≥ 0.9 × baseline (typical review)',
    sat ? `${ratio(throughputRatio)} (${Math.round(sat['https-injector'].rps)} vs ${Math.round(sat.baseline.rps)} req/s)` : undefined,
    throughputRatio !== undefined ? throughputRatio >= 0.9 : undefined);
  const at500 = https?.rates?.[500]?.['https-injector'];
  add('https-p99-500', 'p99 ≤ 5 ms at 500 req/s (typical review)',
    at500 ? (at500.overCapacity ? `over capacity (${Math.round(at500.capacityRps)} req/s at saturation)` : `${ms(at500.latencyMs.p99)} (p50 ${ms(at500.latencyMs.p50)})`) : undefined,
    at500 ? !at500.overCapacity && at500.latencyMs.p99 <= 5 && at500.errors === 0 : undefined);

  const memory = results.memory;
  if (memory) {
    const [, , b1, b2] = memory.samples;
    const heapGrowth = b2.after.heapUsed - b1.after.heapUsed;
    const rssGrowth = b2.rss - b1.rss;
    add('memory-rss', `RSS ≤ 80 MiB after ${b2.requests.toLocaleString('en-US')} requests`,
      `${bytes(b2.rss)}`, b2.rss <= 80 * MiB);
    add('memory-flat', 'no growth between the two batches',
      `heap after GC ${heapGrowth >= 0 ? '+' : ''}${bytes(heapGrowth)}, RSS ${rssGrowth >= 0 ? '+' : ''}${bytes(rssGrowth)}`,
      heapGrowth <= FLAT.heap && rssGrowth <= FLAT.rss);
  } else {
    add('memory-rss', 'RSS ≤ 80 MiB after 200,000 requests', undefined, undefined);
    add('memory-flat', 'no growth between the two batches', undefined, undefined);
  }

  const api = results.apiserver;
  const h = api?.apiserverHistogram;
  add('apiserver-bucket', 'apiserver-observed webhook latency: every call in the ≤ 5 ms bucket',
    h ? `${h.buckets['0.005'] ?? 0} of ${h.count} calls ≤ 5 ms (mean ${ms((h.sum / h.count) * 1000)})` : undefined,
    h ? h.count > 0 && (h.buckets['0.005'] ?? 0) === h.count : undefined);
  return targets;
}
