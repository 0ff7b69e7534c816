// Attack 1 of issue 10: pipelined requests on a connection destroyed at once. Before the
// fix the slot of every queued request leaked (its response never closes), so the
// --max-in-flight cap filled up, normal load was shed with 503 and SIGTERM waited out
// --shutdown-timeout. Run against the real `serve` in a child process over TLS.
import t from 'tap';
import https from 'node:https';
import tls from 'node:tls';
import { fixture, waitFor } from '../server/support/harness.js';
import { metricValue } from '../server/support/child.js';
import { recordAttack } from './support/record.js';
import { served } from './support/served.js';

t.setTimeout(300_000);

const CONNECTIONS = 10;
const PIPELINED = 5;
const BURST = 24;

function post(port: number, ca: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/inject', method: 'POST', ca, agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** Writes `count` copies of the review in one go on a fresh TLS connection, then destroys it. */
function pipelineThenDestroy(port: number, ca: string, body: string, count: number): Promise<void> {
  const one = `POST /inject HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca }, () => {
      socket.write(one.repeat(count), () => { socket.destroy(); });
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

t.test('pipelined requests on destroyed connections release their in-flight slots', async (t) => {
  // Each admission takes 50 ms, so the queued ones are still waiting when the socket goes.
  const { child, ports, ca } = await served(t, { lookupDelayMs: 50 }, ['--shutdown-timeout', '20s', '--shutdown-delay', '0s']);
  const body = fixture('01-').text;

  await Promise.all(Array.from({ length: CONNECTIONS }, () => pipelineThenDestroy(ports.webhook, ca, body, PIPELINED)));
  // Every admission that was started has run its 50 ms by now or will within the deadline.
  const gauge = await waitFor('the in-flight gauge back at 0', async () => {
    const value = await metricValue(ports.metrics, 'sidecar_injector_in_flight_requests');
    return value === 0 ? 'zero' : undefined;
  }, 10_000).catch(async () => metricValue(ports.metrics, 'sidecar_injector_in_flight_requests'));
  t.equal(gauge, 'zero', 'sidecar_injector_in_flight_requests is 0 after the destroyed connections');

  const statuses = await Promise.all(Array.from({ length: BURST }, () => post(ports.webhook, ca, body)));
  const ok = statuses.filter((s) => s === 200).length;
  t.equal(ok, BURST, `a ${BURST}-way burst is all 200 (got ${JSON.stringify(statuses)})`);

  const signalledAt = Date.now();
  child.proc.kill('SIGTERM');
  await child.exited;
  const exitMs = Date.now() - signalledAt;
  t.same(child.exit, { code: 0, signal: null }, `SIGTERM exits 0 (stderr: ${child.stderr.slice(-500)})`);
  // --shutdown-timeout is 20 s: a leaked slot would hold the drain until then.
  t.ok(exitMs < 5000, `SIGTERM exits at once, not after --shutdown-timeout (${exitMs} ms)`);

  recordAttack({
    id: 1,
    defect: 'In-flight slots leak with pipelined requests on a destroyed connection',
    attack: `${CONNECTIONS} TLS connections each write ${PIPELINED} pipelined copies of a captured review, then destroy(); then a ${BURST}-way burst; then SIGTERM`,
    before: 'in-flight gauge stuck at 20 with no connection open; with 31 slots leaked 81 % of an 8-worker load shed with 503 until restart; SIGTERM waited out --shutdown-timeout and exited 1',
    after: `in-flight gauge ${gauge === 'zero' ? 0 : gauge}; burst ${ok}/${BURST} answered 200; SIGTERM exit code ${child.exit?.code} after ${exitMs} ms`,
    test: 'test/attacks/server-1-in-flight.test.ts',
  });
});
