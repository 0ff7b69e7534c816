// Attack 6 of issue 10: the health/metrics port shares the event loop with the webhook.
// Before the fix a /metrics flood from 8 keep-alive clients cut admissions from 5,168 to
// 268 req/s, and 2,000 half-sent requests stayed open 70 s. Run against the real `serve`
// in a child process: admissions over TLS, the flood and the half-sent requests over
// plain HTTP on the metrics port.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { fixture, waitFor } from '../server/support/harness.js';
import { getJson } from '../server/support/child.js';
import { Load } from '../server/support/load.js';
import { recordAttack } from './support/record.js';
import { served } from './support/served.js';

t.setTimeout(300_000);

const FLOOD_CLIENTS = 8;
const WORKERS = 4;
const ADMISSIONS = 200;
/** Unloaded and flooded rounds alternate; medians are compared, so a burst of other work on the machine weighs less. */
const ROUNDS = 3;
/** Over the port's cap of 32 connections: the surplus is closed on arrival. */
const HALF_SENT = 40;

/** Admissions per second over `ADMISSIONS` requests from `WORKERS` keep-alive clients. */
async function admissionRate(port: number, ca: string, body: string): Promise<{ rate: number; failed: number }> {
  const started = performance.now();
  const load = new Load({ port, ca: [ca], body, concurrency: WORKERS });
  await waitFor(`${ADMISSIONS} admissions`, () => load.completed().length >= ADMISSIONS, { timeoutMs: 120_000, intervalMs: 5 });
  const seconds = (performance.now() - started) / 1000;
  await load.stop();
  const done = load.completed();
  return { rate: done.length / seconds, failed: load.sent.filter((s) => s.status !== undefined && s.status !== 200).length };
}

/** `clients` keep-alive clients asking for /metrics in a loop until stopped. */
function flood(port: number, clients: number): { stop(): Promise<number> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let running = true;
  let answered = 0;
  const one = () => new Promise<void>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
      res.resume();
      res.on('end', () => { answered++; resolve(); });
    });
    req.on('error', () => setTimeout(resolve, 5));
  });
  const workers = Array.from({ length: clients }, async () => { while (running) await one(); });
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return answered;
    },
  };
}

/** A request head cut short; resolves what the server sent and how long until it closed. */
function halfSent(port: number): Promise<{ text: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '));
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => { text += c; });
    socket.on('error', () => {});
    socket.on('close', () => resolve({ text, ms: performance.now() - started }));
  });
}

t.test('a /metrics flood and half-sent requests on the health port leave admissions alone', async (t) => {
  const { ports, ca } = await served(t, {}, ['--shutdown-delay', '0s']);
  const body = fixture('01-').text;

  await admissionRate(ports.webhook, ca, body); // warm-up: JIT, TLS sessions
  const unloadedRounds: Array<{ rate: number; failed: number }> = [];
  const loadedRounds: Array<{ rate: number; failed: number }> = [];
  let metricsAnswers = 0;
  for (let round = 0; round < ROUNDS; round++) {
    unloadedRounds.push(await admissionRate(ports.webhook, ca, body));
    const scrapes = flood(ports.metrics, FLOOD_CLIENTS);
    loadedRounds.push(await admissionRate(ports.webhook, ca, body));
    metricsAnswers += await scrapes.stop();
  }
  const median = (rounds: Array<{ rate: number }>) => ({ rate: rounds.map((r) => r.rate).sort((a, b) => a - b)[Math.floor(rounds.length / 2)]! });
  const unloaded = median(unloadedRounds);
  const loaded = median(loadedRounds);
  t.comment(`unloaded ${unloadedRounds.map((r) => r.rate.toFixed(0)).join(' ')}; flooded ${loadedRounds.map((r) => r.rate.toFixed(0)).join(' ')} req/s`);
  t.equal([...unloadedRounds, ...loadedRounds].reduce((sum, r) => sum + r.failed, 0), 0, 'every admission is answered 200');
  t.ok(metricsAnswers > 0, `the flood got answers (${metricsAnswers})`);
  t.ok(loaded.rate * 2 >= unloaded.rate,
    `admission throughput under the /metrics flood is within 2x of unloaded (${loaded.rate.toFixed(0)} vs ${unloaded.rate.toFixed(0)} req/s)`);

  const half = await Promise.all(Array.from({ length: HALF_SENT }, () => halfSent(ports.metrics)));
  const slowest = Math.max(...half.map((h) => h.ms));
  const timedOut = half.filter((h) => /^HTTP\/1\.1 408/.test(h.text) && h.text.includes('"code":"request-timeout"'));
  const refused = half.filter((h) => h.text === '');
  t.equal(timedOut.length + refused.length, HALF_SENT, 'each half-sent request is answered 408 in the JSON error shape, or refused on arrival over the cap');
  t.ok(timedOut.length > 0 && timedOut.length <= 32, `the cap admits at most 32 (${timedOut.length} admitted, ${refused.length} refused)`);
  t.ok(slowest < 10_000, `all ${HALF_SENT} are closed by the request timeout (slowest ${slowest.toFixed(0)} ms)`);
  const health = await getJson(ports.metrics, '/healthz');
  t.ok('status' in health && health.status === 200, 'the port still answers probes');

  recordAttack({
    id: 6,
    defect: 'The health/metrics port has no limits and shares the event loop',
    attack: `${FLOOD_CLIENTS} keep-alive clients requesting /metrics in a loop while ${WORKERS} clients send ${ADMISSIONS} admissions (median of ${ROUNDS} rounds, alternating with unflooded ones); then ${HALF_SENT} half-sent requests on the metrics port`,
    before: '/metrics flood cut admissions from 5,168 to 268 req/s; 2,000 half-sent requests stayed open 70 s',
    after: `admissions ${loaded.rate.toFixed(0)} req/s under the flood vs ${unloaded.rate.toFixed(0)} unloaded (${(loaded.rate / unloaded.rate * 100).toFixed(0)} %; the flood got ${metricsAnswers} answers, paced); ${HALF_SENT} half-sent requests: ${timedOut.length} answered 408 and closed by the 2 s request timeout, ${refused.length} refused over the 32-connection cap, all gone within ${(slowest / 1000).toFixed(1)} s`,
    test: 'test/attacks/server-6-health-port.test.ts',
  });
});
