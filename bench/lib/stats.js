// @ts-check
// Summaries of latency samples. Percentiles use the nearest-rank method on sorted samples,
// so a reported p99 is a latency that was actually observed.

/** The value at percentile `p` (0-100) of an ascending array; NaN when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Median, p99, mean, min, max of nanosecond samples, in microseconds. */
export function summarizeNs(samplesNs) {
  const sorted = Float64Array.from(samplesNs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const us = (ns) => ns / 1000;
  return {
    n: sorted.length,
    medianUs: us(percentile(sorted, 50)),
    p99Us: us(percentile(sorted, 99)),
    meanUs: us(sum / sorted.length),
    minUs: us(sorted[0]),
    maxUs: us(sorted[sorted.length - 1]),
  };
}

/** Server CPU per request at saturation, in µs: the CPU share of a run over its req/s. */
export function cpuPerRequestUs(run) {
  return (run.serverCpu / run.rps) * 1e6;
}

export function median(values) {
  return percentile([...values].sort((a, b) => a - b), 50);
}
