// Every error answer in the JSON shape `{"error":{"code","message"}}`, including the ones
// Node and fastify answer before any route runs: an undecodable URL, an unsupported
// Expect header, an HTTP/1.1 request without Host. Raw requests over real sockets: TLS on
// the webhook port, plain HTTP on the health port.
import t from 'tap';
import net from 'node:net';
import { connect } from 'node:tls';
import { buildHealthApp } from '../../src/server/health-app.js';
import { createMetrics } from '../../src/server/metrics.js';
import { Readiness } from '../../src/server/readiness.js';
import { generateSelfSigned } from '../../src/server/self-signed.js';
import { startWebhookServer } from '../../src/server/start.js';
import { captureLogs, enabledNamespaces, FAKE_SNAPSHOT, outcome } from './support/harness.js';

const certs = await generateSelfSigned('sidecar-injector', 'mesh');
const metrics = createMetrics({ processMetrics: false });
const parts = {
  logger: captureLogs().logger, metrics, readiness: new Readiness([]),
  admit: { snapshot: () => FAKE_SNAPSHOT, namespaces: enabledNamespaces(), evaluate: () => outcome({}) },
};
const webhook = await startWebhookServer(parts, {
  address: '127.0.0.1', port: 0, metricsPort: 0, maxBodyBytes: 1 << 20, shutdownDelayMs: 0, shutdownTimeoutMs: 5000,
}, certs.pair);
const health = buildHealthApp(parts);
await health.listen({ host: '127.0.0.1', port: 0 });
t.teardown(async () => { await webhook.app.close(); await health.close(); });
const healthPort = (health.server.address() as net.AddressInfo).port;

/** Sends `request` as is; resolves the status and body of the first answer. */
function send(tls: boolean, request: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket: net.Socket = tls
      ? connect({ host: '127.0.0.1', port: webhook.address.port, ca: certs.caCertPem }, () => socket.write(request))
      : net.connect({ host: '127.0.0.1', port: healthPort }, () => socket.write(request));
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      text += c;
      const head = text.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? -1);
      if (head !== -1 && length >= 0 && Buffer.byteLength(text.slice(head + 4)) >= length) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      try { resolve({ status, body: JSON.parse(body) }); } catch { resolve({ status, body }); }
    });
  });
}

const CASES: Array<[string, string, number, string, RegExp]> = [
  ['an undecodable URL', 'POST /%ff%fe HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n', 400, 'bad-request', /URL cannot be decoded/],
  ['Expect: bogus', 'POST /inject HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nContent-Length: 0\r\n\r\n', 417, 'expectation-failed', /"bogus" is not supported/],
  ['no Host header', 'GET /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n', 400, 'bad-request', /no Host header/],
];

for (const [port, tls] of [['webhook (TLS)', true], ['health (plain HTTP)', false]] as const) {
  for (const [what, request, status, code, message] of CASES) {
    t.test(`${port}: ${what} is answered ${status} in the JSON shape`, async (t) => {
      const answer = await send(tls, request);
      t.equal(answer.status, status);
      t.match(answer.body, { error: { code, message } });
    });
  }
}
