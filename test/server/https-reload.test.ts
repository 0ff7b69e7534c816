// A real HTTPS webhook on port 0 whose certificate files are replaced the way a Secret
// volume does it, while a client keeps sending over keep-alive connections: new
// connections get the new certificate, open ones keep working, no request fails; a
// broken pair is refused and the previous certificate stays.
import t from 'tap';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { generateSelfSigned } from '../../src/server/self-signed.js';
import { watchCertificates } from '../../src/server/cert-watcher.js';
import { startInjectingServer } from './support/webhook-server.js';
import { captureLogs, fixture, waitFor } from './support/harness.js';
import { SecretMount } from './support/secret-mount.js';
import { Load, now } from './support/load.js';

const [a, b] = await Promise.all([generateSelfSigned('sidecar-injector', 'mesh'), generateSelfSigned('sidecar-injector', 'mesh')]);
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
const ca = [a.caCertPem, b.caCertPem];

/** The certificate a brand-new TLS connection is given. */
function servedToNewConnection(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}

t.test('certificate rotation under load', async (t) => {
  const mount = new SecretMount(a.pair);
  t.teardown(() => mount.remove());
  const logs = captureLogs();
  const { running } = await startInjectingServer(t, a.pair, { logger: logs.logger });
  const rejected: string[] = [];
  const watcher = watchCertificates({
    files: { certFile: mount.certFile, keyFile: mount.keyFile }, initial: a.pair, pollIntervalMs: 1000, debounceMs: 50,
    onReload: (pair) => running.setKeyPair(pair),
    onRejected: (err) => rejected.push(err.message),
  });
  t.teardown(() => watcher.close());

  const port = running.address.port;
  const review = fixture('01-');
  const load = new Load({ port, ca, body: review.text, concurrency: 3 });
  t.teardown(() => load.stop());

  await waitFor('traffic on the first certificate', () => load.completed().length >= 30);
  t.equal(await servedToNewConnection(port), fingerprint(a.pair.cert), 'starts with the first certificate');

  mount.swap(b.pair);
  await waitFor('the new certificate on new connections', async () => (await servedToNewConnection(port)) === fingerprint(b.pair.cert));
  const swappedAt = now();
  const countAtSwap = load.completed().length;
  await waitFor('more traffic after the swap', () => load.completed().length >= countAtSwap + 30);

  mount.swap({ cert: a.pair.cert, key: b.pair.key }); // a certificate with someone else's key
  await waitFor('the broken pair to be refused', () => rejected.length > 0);
  t.match(rejected[0], /does not belong/);
  const countAtBroken = load.completed().length;
  await waitFor('more traffic after the broken pair', () => load.completed().length >= countAtBroken + 30);
  t.equal(await servedToNewConnection(port), fingerprint(b.pair.cert), 'the broken pair is not served; the previous one stays');

  await load.stop();
  const failures = load.sent.filter((s) => s.error !== undefined || (s.status !== undefined && s.status !== 200));
  t.same(failures.map((f) => f.error ?? f.status), [], 'no request failed');
  t.ok(load.sent.every((s) => s.status === undefined || s.uid === review.review.request.uid), 'every answer echoes the uid');
  const oldConnectionStillUsed = load.sent.some((s) => s.doneAt! > swappedAt
    && s.peer === fingerprint(a.pair.cert));
  t.ok(oldConnectionStillUsed, 'connections opened before the swap kept serving after it (not dropped)');
});
