// The apiserver calls a webhook over HTTP/1.1 only (it offers no other ALPN protocol) and
// keeps its connections open between calls: a webhook that made it handshake again for
// every call would add a TLS handshake to every pod creation. Over a real socket: many
// reviews on one keep-alive connection cost one handshake, the answers never ask to close,
// and the server stays on HTTP/1.1 whatever the client offers.
import t, { type Test } from 'tap';
import https from 'node:https';
import { connect } from 'node:tls';
import type { Server as TlsServer } from 'node:tls';
import { generateSelfSigned } from '../../src/server/self-signed.js';
import { KEEP_ALIVE_TIMEOUT_MS } from '../../src/server/webhook-app.js';
import { startInjectingServer } from './support/webhook-server.js';
import { fixture } from './support/harness.js';

const certs = await generateSelfSigned('sidecar-injector', 'mesh');

async function startServer(t: Test) {
  const { running } = await startInjectingServer(t, certs.pair);
  let handshakes = 0;
  (running.app.server as unknown as TlsServer).on('secureConnection', () => { handshakes++; });
  return { port: running.address.port, handshakes: () => handshakes, server: running.app.server };
}

interface Answer { status?: number; connection?: string; localPort?: number; uid?: string }

function post(port: number, agent: https.Agent, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path: '/inject', method: 'POST', agent, ca: certs.caCertPem,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({
        status: res.statusCode, connection: res.headers.connection, localPort: req.socket?.localPort,
        uid: (JSON.parse(text) as { response?: { uid?: string } }).response?.uid,
      }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

t.test('reviews on a keep-alive connection share one TLS handshake', async (t) => {
  const { port, handshakes, server } = await startServer(t);
  const review = fixture('01-');
  // As the apiserver's client: HTTP/1.1 only, connections kept for reuse.
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ALPNProtocols: ['http/1.1'] });
  t.teardown(() => agent.destroy());
  const answers: Answer[] = [];
  for (let i = 0; i < 20; i++) {
    const body = structuredClone(review.review);
    body.request.uid = `uid-${i}`;
    answers.push(await post(port, agent, JSON.stringify(body)));
  }
  t.same(answers.map((a) => a.status), Array(20).fill(200), 'every review answered');
  t.same(answers.map((a) => a.uid), answers.map((_, i) => `uid-${i}`), 'each answer echoes its own uid');
  t.equal(handshakes(), 1, 'one TLS handshake for all 20 reviews');
  t.equal(new Set(answers.map((a) => a.localPort)).size, 1, 'all on the same connection');
  t.notOk(answers.some((a) => a.connection === 'close'), 'no answer asks to close the connection');
  // Node's default (5 s) would close connections the apiserver keeps for up to 90 s idle.
  t.ok((server as unknown as { keepAliveTimeout: number }).keepAliveTimeout === KEEP_ALIVE_TIMEOUT_MS && KEEP_ALIVE_TIMEOUT_MS > 90_000,
    'idle connections are kept longer than the apiserver keeps them');
});

t.test('HTTP/1.1 is negotiated even when a client offers h2 first', async (t) => {
  const { port } = await startServer(t);
  const negotiated = await new Promise<string | false>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: certs.caCertPem, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      resolve(socket.alpnProtocol ?? false);
      socket.end();
    });
    socket.on('error', reject);
  });
  // No ALPN answer (false) also means HTTP/1.1; never h2, which the apiserver would not use anyway.
  t.not(negotiated, 'h2', `negotiated ${String(negotiated)}`);
});
