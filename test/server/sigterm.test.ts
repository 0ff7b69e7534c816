// SIGTERM against a real child process under steady load: readiness fails at once, every
// request written before the signal gets a complete response (the last ones with
// `Connection: close`), the process exits 0. Past --shutdown-timeout it exits non-zero.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { fixture, waitFor } from './support/harness.js';
import { Load, now } from './support/load.js';
import { getJson, ServeChild } from './support/child.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-sigterm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const BASE_FLAGS = ['--port', '0', '--metrics-port', '0', '--address', '127.0.0.1', '--standalone'];

// Child processes compile TypeScript at start: slow when many test files run at once.
t.setTimeout(360_000);

t.test('graceful shutdown under load', async (t) => {
  const caOut = path.join(tempDir(t), 'ca.crt');
  // Each request takes 1 s and the listener closes 300 ms after the signal: requests in
  // flight at the signal are still in flight when the listener closes.
  const child = new ServeChild({ lookupDelayMs: 1000 }, [...BASE_FLAGS, '--ca-out', caOut, '--shutdown-delay', '300ms', '--shutdown-timeout', '20s']);
  t.teardown(() => child.kill());
  const ports = await child.ports();
  await waitFor('ready', async () => { const r = await getJson(ports.metrics, '/readyz'); return 'status' in r && r.status === 200; });
  t.match(child.logs.find((l) => l.msg?.startsWith('no --tls-cert-file')), { caFile: caOut }, 'logs where the CA was written');

  const review = fixture('01-');
  const load = new Load({ port: ports.webhook, ca: [readFileSync(caOut, 'utf8')], body: review.text, concurrency: 8 });
  t.teardown(() => load.stop());
  await waitFor('steady traffic', () => load.completed().length >= 16);

  const signalledAt = now();
  child.proc.kill('SIGTERM');
  const readyz = await waitFor('readiness to fail', async () => {
    const r = await getJson(ports.metrics, '/readyz');
    return 'status' in r && r.status === 503 ? r : undefined;
  });
  t.same(readyz.body.waitingFor, ['shutting-down'], 'readiness fails as soon as the signal is handled');
  await child.exited;
  await load.stop();

  t.same(child.exit, { code: 0, signal: null }, `exit code 0 (stderr: ${child.stderr})`);
  const before = load.sent.filter((s) => s.writtenAt !== undefined && s.writtenAt < signalledAt);
  const broken = before.filter((s) => s.status !== 200 || s.uid !== review.review.request.uid);
  t.same(broken.map((s) => s.error ?? s.status), [], `all ${before.length} requests written before the signal got a complete response`);
  t.ok(before.filter((s) => s.doneAt! > signalledAt).length >= 4, 'several of them were still in flight when the signal came');
  const servedAfter = load.sent.filter((s) => s.status === 200 && s.doneAt! > signalledAt);
  t.ok(servedAfter.length > 0 && servedAfter.every((s) => s.connection === 'close'), 'responses after the signal carry Connection: close');
  t.ok(child.logs.some((l) => l.msg === 'shutdown complete' && l.code === 0), 'logs the clean shutdown');
});

t.test('past --shutdown-timeout the process gives up and exits non-zero', async (t) => {
  const caOut = path.join(tempDir(t), 'ca.crt');
  const child = new ServeChild({ lookupDelayMs: 3000 }, [...BASE_FLAGS, '--ca-out', caOut, '--shutdown-timeout', '300ms']);
  t.teardown(() => child.kill());
  const ports = await child.ports();
  const load = new Load({ port: ports.webhook, ca: [readFileSync(caOut, 'utf8')], body: fixture('01-').text, concurrency: 2 });
  t.teardown(() => load.stop());
  await waitFor('two requests in flight', () => load.sent.filter((s) => s.writtenAt !== undefined).length >= 2);
  child.proc.kill('SIGTERM');
  await child.exited;
  await load.stop();
  t.equal(child.exit?.code, 1, 'non-zero exit');
  t.ok(child.logs.some((l) => l.msg === 'shutdown deadline passed: closing the remaining connections'), 'says why');
});

t.test('connections without a request (TLS spares, unfinished handshakes) do not hold the drain', async (t) => {
  const caOut = path.join(tempDir(t), 'ca.crt');
  const child = new ServeChild({}, [...BASE_FLAGS, '--ca-out', caOut, '--shutdown-timeout', '20s']);
  t.teardown(() => child.kill());
  const ports = await child.ports();
  await waitFor('ready', async () => { const r = await getJson(ports.metrics, '/readyz'); return 'status' in r && r.status === 200; });
  // One connection completes its handshake and never sends a request (as the apiserver's
  // client leaves spares); another only opens TCP and never starts TLS.
  const spare = tls.connect({ host: '127.0.0.1', port: ports.webhook, ca: readFileSync(caOut, 'utf8'), servername: 'localhost' });
  await once(spare, 'secureConnect');
  const raw = net.connect({ host: '127.0.0.1', port: ports.webhook });
  await once(raw, 'connect');
  const closed = Promise.all([once(spare, 'close'), once(raw, 'close')]);
  child.proc.kill('SIGTERM');
  await child.exited;
  t.same(child.exit, { code: 0, signal: null }, `exit code 0, not the deadline (stderr: ${child.stderr})`);
  t.notOk(child.logs.some((l) => l.msg === 'shutdown deadline passed: closing the remaining connections'), 'the deadline was not needed');
  await closed;
  t.pass('both idle connections were closed by the server');
});

t.test('with the default --shutdown-delay, idle keep-alive clients are not reset right after SIGTERM', async (t) => {
  const caOut = path.join(tempDir(t), 'ca.crt');
  const child = new ServeChild({}, [...BASE_FLAGS, '--ca-out', caOut]);
  t.teardown(() => child.kill());
  const ports = await child.ports();
  await waitFor('ready', async () => { const r = await getJson(ports.metrics, '/readyz'); return 'status' in r && r.status === 200; });
  const ca = readFileSync(caOut, 'utf8');
  const agent = new https.Agent({ keepAlive: true, maxSockets: 4, ca });
  t.teardown(() => agent.destroy());
  const body = fixture('01-').text;
  const post = () => new Promise<string>((resolve) => {
    const req = https.request({ host: '127.0.0.1', port: ports.webhook, path: '/inject', method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end(body);
  });
  t.same(await Promise.all([post(), post(), post(), post()]), ['200', '200', '200', '200'], 'four keep-alive connections, now idle');
  child.proc.kill('SIGTERM');
  await waitFor('readiness to fail', async () => { const r = await getJson(ports.metrics, '/readyz'); return 'status' in r && r.status === 503; });
  // A client that has not seen the endpoint removal yet reuses its idle connections.
  t.same(await Promise.all([post(), post(), post(), post()]), ['200', '200', '200', '200'], 'requests on the idle connections after the signal are served, none reset');
  await child.exited;
  t.same(child.exit, { code: 0, signal: null });
});

t.test('a SIGTERM while starting stops the process cleanly', async (t) => {
  const caOut = path.join(tempDir(t), 'ca.crt');
  const child = new ServeChild({}, [...BASE_FLAGS, '--ca-out', caOut]);
  t.teardown(() => child.kill());
  // The self-signed certificate is still being generated when 'starting' is logged.
  await child.logLine('starting');
  child.proc.kill('SIGTERM');
  await child.exited;
  t.same(child.exit, { code: 0, signal: null }, `exit code 0, not killed by the signal (stderr: ${child.stderr.slice(-300)})`);
  const how = child.logs.find((l) => l.msg === 'signal received while starting: stopped' || l.msg === 'shutdown complete');
  t.ok(how, 'says how it stopped');
  t.comment(`stopped by: ${how?.msg}`);
});
