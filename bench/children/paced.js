// @ts-check
// Load generator, open loop at a fixed offered rate: request i is due at start + i/rate,
// whether or not earlier answers have arrived (the apiserver does not wait for one pod's
// admission before sending the next). Requests go over a pool of keep-alive HTTPS
// connections; when all are busy a due request waits for one, and that wait counts in its
// latency. Latency runs from the moment the request is issued until its body has arrived,
// measured with process.hrtime.bigint(). How late the client issued requests (timer
// granularity) is reported separately, so a lagging client cannot hide behind the server.
// Usage: node paced.js '{"url":..., "caFile":..., "bodyFile":..., "rate":500, "durationS":8, "warmupS":1, "connections":16}'
import https from 'node:https';
import { readFileSync } from 'node:fs';

const input = JSON.parse(process.argv[2]);
const body = readFileSync(input.bodyFile);
const url = new URL(input.url);
const agent = new https.Agent({
  keepAlive: true,
  maxSockets: input.connections ?? 16,
  ca: readFileSync(input.caFile),
});
// Beyond this many unanswered requests the server is not keeping up: stop adding more.
const maxOutstanding = input.maxOutstanding ?? 2000;
const intervalNs = 1e9 / input.rate;
const warmup = Math.round(input.rate * (input.warmupS ?? 1));
const total = warmup + Math.round(input.rate * input.durationS);

const latencies = new Float64Array(total);
const lateness = new Float64Array(total);
let done = 0;
let errors = 0;
let non2xx = 0;
let outstanding = 0;
let skipped = 0;
let firstError;
let lastEnd = 0n;

function issue(i, dueNs) {
  const sent = process.hrtime.bigint();
  lateness[i] = Number(sent - dueNs);
  outstanding++;
  const req = https.request({
    agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': body.length },
  }, (res) => {
    res.on('data', () => {});
    res.on('end', () => {
      const end = process.hrtime.bigint();
      latencies[i] = Number(end - sent);
      if (end > lastEnd) lastEnd = end;
      if (res.statusCode !== 200) non2xx++;
      finish();
    });
  });
  req.on('error', (err) => {
    errors++;
    firstError ??= err.message;
    latencies[i] = NaN;
    finish();
  });
  req.end(body);
}

let resolveAll;
const allDone = new Promise((resolve) => { resolveAll = resolve; });
let issued = 0;
function finish() {
  outstanding--;
  done++;
  if (issued === total && done + skipped === total) resolveAll();
}

const cpuBefore = process.cpuUsage();
const start = process.hrtime.bigint();
function tick() {
  const now = process.hrtime.bigint();
  while (issued < total && start + BigInt(Math.round(issued * intervalNs)) <= now) {
    if (outstanding >= maxOutstanding) {
      latencies[issued] = NaN;
      skipped++;
      issued++;
      continue;
    }
    issue(issued, start + BigInt(Math.round(issued * intervalNs)));
    issued++;
  }
  if (issued < total) setTimeout(tick, 1);
  else if (done + skipped === total) resolveAll();
}
tick();
await allDone;
const wallS = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
agent.destroy();

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}
const measured = Array.from(latencies.subarray(warmup)).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
const late = Array.from(lateness.subarray(warmup)).sort((a, b) => a - b);
// Answers per second over the measured part: from its first due time to the last answer.
const measuredS = Number(lastEnd - (start + BigInt(Math.round(warmup * intervalNs)))) / 1e9;
process.stdout.write(`${JSON.stringify({
  offeredRps: input.rate,
  achievedRps: measured.length / measuredS,
  requests: measured.length,
  latencyMs: { p50: pct(measured, 50) / 1e6, p90: pct(measured, 90) / 1e6, p99: pct(measured, 99) / 1e6, max: measured[measured.length - 1] / 1e6 },
  issueLatenessMs: { p50: pct(late, 50) / 1e6, p99: pct(late, 99) / 1e6 },
  errors, non2xx, skipped, firstError,
  clientCpu: (cpu.user + cpu.system) / 1e6 / wallS,
})}\n`);
