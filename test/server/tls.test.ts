// Certificate pairs: checks before use, the self-signed pair's names, the watcher.
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { checkKeyPair, KeyPairError, readKeyPair, type KeyPair } from '../../src/server/tls.js';
import { generateSelfSigned, servingNames, writeCaFile } from '../../src/server/self-signed.js';
import { watchCertificates } from '../../src/server/cert-watcher.js';
import { SecretMount } from './support/secret-mount.js';
import { waitFor } from './support/harness.js';

const a = await generateSelfSigned('sidecar-injector', 'mesh');
const b = await generateSelfSigned('sidecar-injector', 'mesh');

function rejects(t: Test, pair: KeyPair, pattern: RegExp) {
  let caught: unknown;
  try { checkKeyPair(pair); } catch (err) { caught = err; }
  t.ok(caught instanceof KeyPairError, 'a KeyPairError');
  t.match((caught as Error).message, pattern);
}

t.test('checkKeyPair accepts a pair and describes it', async (t) => {
  const info = checkKeyPair(a.pair);
  t.match(info.subject, 'CN=localhost');
  t.match(info.fingerprint256, /^[0-9A-F:]+$/);
  t.ok(Date.parse(info.validTo) > Date.now());
});

t.test('checkKeyPair refuses broken pairs, saying which part', async (t) => {
  rejects(t, { cert: a.pair.cert, key: b.pair.key }, /private key does not belong to the certificate/);
  rejects(t, { cert: 'not a certificate', key: a.pair.key }, /certificate does not parse/);
  rejects(t, { cert: a.pair.cert, key: 'not a key' }, /private key does not parse/);
  rejects(t, { cert: a.pair.cert.slice(0, 200), key: a.pair.key }, /certificate does not parse/);
});

t.test('the self-signed certificate names the service, its namespace forms, localhost and 127.0.0.1', async (t) => {
  const names = servingNames('sidecar-injector', 'mesh');
  t.same(names.dnsNames, ['localhost', 'sidecar-injector', 'sidecar-injector.mesh', 'sidecar-injector.mesh.svc']);
  const cert = new X509Certificate(a.pair.cert);
  for (const dns of names.dnsNames) t.match(cert.subjectAltName, `DNS:${dns}`);
  t.match(cert.subjectAltName, 'IP Address:127.0.0.1');
  t.ok(cert.verify(new X509Certificate(a.caCertPem).publicKey), 'signed by the CA written out');
  t.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1', 'ECDSA P-256');
});

t.test('writeCaFile creates the directory and writes the PEM', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-ca-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'nested', 'ca.crt');
  await writeCaFile(file, a.caCertPem);
  t.equal(readFileSync(file, 'utf8'), a.caCertPem);
});

t.test('readKeyPair names the missing file', async (t) => {
  await t.rejects(readKeyPair({ certFile: '/nonexistent/tls.crt', keyFile: '/nonexistent/tls.key' }), /--tls-cert-file \/nonexistent\/tls.crt/);
});

for (const mode of ['events', 'poll'] as const) {
  t.test(`watcher (${mode}): a new pair is handed over once; a broken one is reported once and skipped`, async (t) => {
    const mount = new SecretMount(a.pair);
    t.teardown(() => mount.remove());
    const reloaded: string[] = [];
    const rejected: string[] = [];
    const watcher = watchCertificates({
      files: { certFile: mount.certFile, keyFile: mount.keyFile },
      initial: a.pair,
      pollIntervalMs: mode === 'poll' ? 50 : 60_000,
      watchEvents: mode === 'events',
      debounceMs: 20,
      onReload: (pair) => reloaded.push(pair.cert),
      onRejected: (err) => rejected.push(err.message),
    });
    t.teardown(() => watcher.close());

    mount.swap(b.pair);
    await waitFor('the new pair', () => reloaded.length === 1);
    t.equal(reloaded[0], b.pair.cert);

    mount.swap({ cert: a.pair.cert, key: b.pair.key });
    await waitFor('the rejection', () => rejected.length === 1);
    t.match(rejected[0], /does not belong/);
    await watcher.check();
    await watcher.check();
    t.equal(rejected.length, 1, 'the same broken content is reported once');
    t.equal(reloaded.length, 1, 'and never handed over');

    mount.swap(a.pair);
    await waitFor('the good pair after the broken one', () => reloaded.length === 2);
    t.equal(reloaded[1], a.pair.cert);
  });
}

t.test('watcher: unreadable files are reported, and the pair is picked up once they are back', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = { certFile: path.join(dir, 'c.pem'), keyFile: path.join(dir, 'k.pem') };
  const rejected: string[] = [];
  const reloaded: string[] = [];
  const watcher = watchCertificates({ files, initial: a.pair, pollIntervalMs: 60_000, watchEvents: false, onReload: (p) => reloaded.push(p.cert), onRejected: (e) => rejected.push(e.message) });
  t.teardown(() => watcher.close());
  await watcher.check();
  t.match(rejected[0], /^cannot read --tls-cert-file .*c\.pem.*; cannot read --tls-key-file .*k\.pem/, 'names both files, cert first');
  writeFileSync(files.certFile, b.pair.cert);
  writeFileSync(files.keyFile, b.pair.key);
  await watcher.check();
  t.same(reloaded, [b.pair.cert]);
});

t.test('validity dates: expired and not-yet-valid certificates are named as such', async (t) => {
  const { datedCertificate } = await import('../support/dated-cert.js');
  const { validityProblem, checkClientCa } = await import('../../src/server/tls.js');
  const expired = checkKeyPair(await datedCertificate('old', -10, -1));
  const future = checkKeyPair(await datedCertificate('new', 1, 10));
  const valid = await datedCertificate('ok', -1, 10);
  t.match(validityProblem(expired), /^the certificate expired at \d{4}-/);
  t.match(validityProblem(future), /^the certificate is not valid until \d{4}-/);
  t.equal(validityProblem(checkKeyPair(valid)), undefined);
  const oldCa = (await datedCertificate('old-ca', -10, -1)).cert;
  t.throws(() => checkClientCa(oldCa), { name: 'ClientCaError', message: /no certificate of --client-ca-file is valid now: certificate 1: expired at/ });
  t.equal(checkClientCa(oldCa + valid.cert).certificates, 2, 'a bundle with one valid CA is accepted (rotation)');
});

t.test('the watcher refuses an expired replacement and a not-yet-valid one', async (t) => {
  const { datedCertificate } = await import('../support/dated-cert.js');
  const first = await datedCertificate('first', -1, 10);
  const mount = new SecretMount(first);
  t.teardown(() => mount.remove());
  const rejected: string[] = [];
  const reloaded: string[] = [];
  const watcher = watchCertificates({
    files: { certFile: mount.certFile, keyFile: mount.keyFile }, initial: first, pollIntervalMs: 60_000, watchEvents: false,
    onReload: (p) => reloaded.push(p.cert), onRejected: (e) => rejected.push(e.message),
  });
  t.teardown(() => watcher.close());
  mount.swap(await datedCertificate('expired', -10, -1));
  await watcher.check();
  mount.swap(await datedCertificate('future', 1, 10));
  await watcher.check();
  t.match(rejected, [/expired at .*CN=expired/, /not valid until .*CN=future/]);
  t.same(reloaded, []);
  const next = await datedCertificate('next', -1, 10);
  mount.swap(next);
  await watcher.check();
  t.same(reloaded, [next.cert]);
});
