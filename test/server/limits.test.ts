// The webhook port's limits on a real HTTPS server (port 0, fake engine): headers over
// --max-header-bytes get 431, a request slower than --request-timeout gets 408 (an idle
// keep-alive connection is not a slow request), connections over
// --max-connections-per-client are closed on arrival, admissions over --max-in-flight get
// a fast 503 with Retry-After. Errors are JSON in the common shape and counted.
import t, { type Test } from 'tap';
import https from 'node:https';
import { createServer } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { NamespaceSource } from '../../src/admission/admit.js';
import { limitConnectionsPerClient } from '../../src/server/connection-limit.js';
import { type Metrics } from '../../src/server/metrics.js';
import { generateSelfSigned } from '../../src/server/self-signed.js';
import { type ListenOptions } from '../../src/server/start.js';
import { DEFAULT_LIMITS } from '../../src/server/webhook-app.js';
import { startInjectingServer } from './support/webhook-server.js';
import { enabledNamespaces, fixture, waitFor } from './support/harness.js';

const certs = await generateSelfSigned('sidecar-injector', 'mesh');
const ca = certs.caCertPem;
const review = fixture('01-');

async function start(t: Test, limits: Partial<ListenOptions>, namespaces: NamespaceSource = enabledNamespaces()) {
  const { metrics, port } = await startInjectingServer(t, certs.pair, { limits, namespaces });
  return { metrics, port };
}

async function sample(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? NaN;
}

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: any; socket: TLSSocket }

function post(port: number, options: { agent?: https.Agent; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path: '/inject', method: 'POST', ca, agent: options.agent ?? false,
      headers: { 'content-type': 'application/json', ...options.headers },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text), socket: res.socket as TLSSocket }));
    });
    req.on('error', reject);
    req.end(review.text);
  });
}

/** Writes raw bytes on a new TLS connection; resolves everything the server sent until it closed. */
function raw(port: number, write: (socket: TLSSocket) => void): Promise<{ status: number; body: any; text: string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect({ host: '127.0.0.1', port, ca }, () => write(socket));
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => { text += c; });
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      try { resolve({ status, body: JSON.parse(body), text }); } catch { resolve({ status, body, text }); }
    });
  });
}

function requestHead(headers: string, contentLength: number): string {
  return `POST /inject HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n${headers}\r\n`;
}

t.test('defaults: 3 MiB bodies, 16 KiB of headers, 3 s to send a request, 64 connections per client, 32 admissions at once', async (t) => {
  t.same(DEFAULT_LIMITS, { maxBodyBytes: 3 * 1024 * 1024, maxHeaderBytes: 16 * 1024, requestTimeoutMs: 3000, maxConnectionsPerClient: 64, maxInFlight: 32 });
  t.ok(DEFAULT_LIMITS.maxConnectionsPerClient > 25, 'above the 25 idle connections the apiserver keeps per webhook host');
});

t.test('headers over --max-header-bytes: 431 with a JSON error, connection closed', async (t) => {
  const { port, metrics } = await start(t, { maxHeaderBytes: 4096 });
  const fine = await post(port, { headers: { 'x-padding': 'a'.repeat(2000) } });
  t.equal(fine.status, 200, 'headers under the limit are served');

  const body = review.text;
  const answer = await raw(port, (socket) => socket.write(requestHead(`X-Padding: ${'a'.repeat(5000)}\r\n`, Buffer.byteLength(body)) + body));
  t.equal(answer.status, 431);
  t.match(answer.text, /\r\nconnection: close\r\n/i, 'says the connection closes');
  t.match(answer.body, { error: { code: 'headers-too-large', message: /limit of 4096 bytes \(--max-header-bytes\)/ } });
  t.equal(await sample(metrics, 'sidecar_injector_requests_total', { result: 'error' }), 1, 'counted as an error');
});

t.test('malformed HTTP: 400 in the same JSON shape, connection closed', async (t) => {
  const { port } = await start(t, {});
  const answer = await raw(port, (socket) => socket.write('HELLO THERE\r\n\r\n'));
  t.equal(answer.status, 400);
  t.match(answer.body, { error: { code: 'bad-request', message: /malformed HTTP request/ } });
});

t.test('a request slower than --request-timeout: 408 with a JSON error, connection closed', async (t) => {
  const { port } = await start(t, { requestTimeoutMs: 300 });
  const headersOnly = await raw(port, (socket) => socket.write('POST /inject HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
  t.equal(headersOnly.status, 408, 'headers never finished');
  t.match(headersOnly.body, { error: { code: 'request-timeout', message: /within 300 ms \(--request-timeout\)/ } });

  const partialBody = await raw(port, (socket) => socket.write(requestHead('', 1000) + '{"apiVersion":'));
  t.equal(partialBody.status, 408, 'body never finished');
});

t.test('an idle keep-alive connection is not a slow request: it is reused after the timeout', async (t) => {
  const { port } = await start(t, { requestTimeoutMs: 200 });
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
  t.teardown(() => agent.destroy());
  const first = await post(port, { agent });
  // Idle for several times the request timeout (the scenario itself, not a wait for something).
  await new Promise((resolve) => setTimeout(resolve, 800));
  const second = await post(port, { agent });
  t.equal(second.status, 200);
  t.equal(second.socket, first.socket, 'the same connection served both');
});

t.test('connections over --max-connections-per-client are closed on arrival', async (t) => {
  const { port, metrics } = await start(t, { maxConnectionsPerClient: 3 });
  const open = (): Promise<TLSSocket> => new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca }, () => resolve(socket));
    socket.on('error', reject);
  });
  const held = [await open(), await open(), await open()];
  t.teardown(() => held.forEach((s) => s.destroy()));
  await t.rejects(open(), 'the fourth connection from the same address is closed before its handshake');
  t.equal(await sample(metrics, 'sidecar_injector_shed_total', { limit: 'max-connections-per-client' }), 1, 'counted');
  held.pop()!.end();
  const again = await waitFor('a free slot after one connection closed', () => open().catch(() => undefined));
  again.destroy();
  t.pass('a new connection is accepted once one closed');
});

t.test('the per-client count goes back to zero however connections end', async (t) => {
  const server = createServer({ key: certs.pair.key, cert: certs.pair.cert }, (_req, res) => res.end('ok'));
  const limit = limitConnectionsPerClient(server, 2);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  const port = (server.address() as AddressInfo).port;
  const endings: Array<() => Promise<unknown>> = [
    // cut before the handshake finishes
    () => new Promise((resolve) => { const s = connect({ host: '127.0.0.1', port, ca }); s.on('error', resolve); s.on('close', resolve); setImmediate(() => s.destroy()); }),
    // handshake, then a clean close
    () => new Promise((resolve) => { const s = connect({ host: '127.0.0.1', port, ca }, () => s.end()); s.on('error', resolve); s.on('close', resolve); }),
    // a request on a keep-alive connection the server then closes
    () => new Promise((resolve) => {
      const agent = new https.Agent({ keepAlive: true, ca });
      https.get({ host: '127.0.0.1', port, agent }, (res) => { res.resume(); res.on('end', () => { server.closeIdleConnections(); agent.destroy(); resolve(undefined); }); })
        .on('error', resolve);
    }),
  ];
  for (let round = 0; round < 10; round++) {
    // Three at once against a cap of two: one of each round is refused.
    await Promise.all(endings.map((end) => end()));
  }
  await waitFor('every connection to be forgotten', () => limit.openFrom('127.0.0.1') === 0 && limit.clients === 0);
  t.pass('no connection is counted after all have closed');
});

t.test('admissions over --max-in-flight: an immediate 503 with Retry-After; served again once below', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  let waiting = 0;
  const namespaces: NamespaceSource = {
    get: async (name) => { waiting++; await gate; return { name, labels: { 'sidecar-injection': 'enabled' }, annotations: {} }; },
  };
  const { port, metrics } = await start(t, { maxInFlight: 2 }, namespaces);
  const held = [post(port), post(port)];
  await waitFor('two admissions in flight', () => waiting === 2);
  t.equal(await sample(metrics, 'sidecar_injector_in_flight_requests'), 2, 'the gauge shows them');

  const shed = await Promise.all([post(port), post(port), post(port)]);
  for (const answer of shed) {
    t.equal(answer.status, 503);
    t.equal(answer.headers['retry-after'], '1');
    t.match(answer.body, { error: { code: 'overloaded', message: /limit \(--max-in-flight 2\)/ } });
  }
  t.equal(waiting, 2, 'the shed requests never reached the admission (answered while the first two still wait)');

  release();
  for (const answer of await Promise.all(held)) t.equal(answer.status, 200, 'the admissions in flight complete');
  t.equal((await post(port)).status, 200, 'served again below the limit');
  t.equal(await sample(metrics, 'sidecar_injector_shed_total', { limit: 'max-in-flight' }), 3);
  t.equal(await sample(metrics, 'sidecar_injector_requests_total', { result: 'error' }), 3, '503s count as errors');
  t.equal(await sample(metrics, 'sidecar_injector_requests_total', { result: 'injected' }), 3);
  await waitFor('the gauge back to zero', async () => (await sample(metrics, 'sidecar_injector_in_flight_requests')) === 0);
});

t.test('--max-in-flight 0: no cap', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  let waiting = 0;
  const namespaces: NamespaceSource = {
    get: async (name) => { waiting++; await gate; return { name, labels: {}, annotations: {} }; },
  };
  const { port } = await start(t, { maxInFlight: 0 }, namespaces);
  const answers = Array.from({ length: 40 }, () => post(port));
  await waitFor('40 admissions in flight at once', () => waiting === 40);
  release();
  t.ok((await Promise.all(answers)).every((a) => a.status === 200), 'all served');
});
