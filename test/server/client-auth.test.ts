// --client-ca-file: the webhook port accepts only callers presenting a certificate signed
// by the configured CA (the TLS handshake fails otherwise, no HTTP is spoken); the CA file
// is checked, and reloaded like the serving certificate; the health port stays plain.
import t from 'tap';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { watchClientCa } from '../../src/server/cert-watcher.js';
import { generateSelfSigned } from '../../src/server/self-signed.js';
import { checkClientCa, ClientCaError } from '../../src/server/tls.js';
import { startInjectingServer } from './support/webhook-server.js';
import { fixture, waitFor } from './support/harness.js';
import { getJson, ServeChild } from './support/child.js';
import { makeClientCa, makeClientCertificate, type ClientCertificate } from './support/client-certs.js';
import { SecretMount } from './support/secret-mount.js';

const serving = await generateSelfSigned('sidecar-injector', 'mesh');
const caA = makeClientCa('apiserver-client-ca');
const caB = makeClientCa('someone-else-ca');
const fromA = makeClientCertificate(caA, 'kube-apiserver');
const fromB = makeClientCertificate(caB, 'kube-apiserver');
const review = fixture('01-').text;

/** POST /inject on a new connection: the status, or the error that ended the attempt. */
function call(port: number, client?: ClientCertificate, ca = serving.caCertPem): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = https.request({
      host: '127.0.0.1', port, path: '/inject', method: 'POST', agent: false, ca, ...client,
      headers: { 'content-type': 'application/json' },
    }, (res) => { res.resume(); res.on('end', () => resolve({ status: res.statusCode! })); });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(review);
  });
}

t.test('checkClientCa: at least one certificate, every one parses', async (t) => {
  t.match(checkClientCa(caA.certPem + caB.certPem), { certificates: 2, subjects: ['CN=apiserver-client-ca', 'CN=someone-else-ca'] });
  t.throws(() => checkClientCa(''), ClientCaError);
  t.throws(() => checkClientCa('not a certificate'), /holds no PEM certificate/);
  const broken = caA.certPem.replace(/^(-----BEGIN CERTIFICATE-----\n)(.{10})/, '$1AAAAAAAAAA');
  t.throws(() => checkClientCa(caB.certPem + broken), /certificate 2 of --client-ca-file does not parse/);
});

t.test('the webhook port with a client CA', async (t) => {
  const { running, port } = await startInjectingServer(t, serving.pair, { clientCa: caA.certPem });

  t.same(await call(port, fromA), { status: 200 }, 'a caller with a certificate from the CA is served');
  const none = await call(port);
  t.ok('error' in none, `a caller without a certificate gets no HTTP answer (${JSON.stringify(none)})`);
  const other = await call(port, fromB);
  t.ok('error' in other, `a caller with a certificate from another CA gets none either (${JSON.stringify(other)})`);

  running.setClientCa(caB.certPem);
  t.same(await call(port, fromB), { status: 200 }, 'after the CA is replaced, its callers are served');
  t.ok('error' in await call(port, fromA), 'and the old CA\'s callers are refused');
  running.setKeyPair(serving.pair);
  t.same(await call(port, fromB), { status: 200 }, 'a serving-certificate reload keeps the client CA');
});

t.test('a server without client CA cannot take one later', async (t) => {
  const { running } = await startInjectingServer(t, serving.pair);
  t.throws(() => running.setClientCa(caA.certPem), /client authentication is off/);
  t.same(await call(running.address.port), { status: 200 }, 'and serves callers without certificates');
});

t.test('watchClientCa: a new bundle is handed over, a broken one refused', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-client-ca-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'ca.crt');
  writeFileSync(file, caA.certPem);
  const reloaded: string[] = [];
  const rejected: string[] = [];
  const watcher = watchClientCa({
    file, initial: caA.certPem, pollIntervalMs: 60_000, watchEvents: false,
    onReload: (pem) => reloaded.push(pem), onRejected: (err) => rejected.push(err.message),
  });
  t.teardown(() => watcher.close());
  await watcher.check();
  t.same(reloaded, [], 'unchanged: nothing to do');
  writeFileSync(file, 'garbage');
  await watcher.check();
  t.match(rejected, [/holds no PEM certificate/]);
  writeFileSync(file, caA.certPem + caB.certPem);
  await watcher.check();
  t.same(reloaded, [caA.certPem + caB.certPem], 'the grown bundle is handed over');
});

// Child processes compile TypeScript at start: slow when many test files run at once.
t.setTimeout(180_000);

t.test('serve --client-ca-file: client certificates required, the CA file followed, the health port plain', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-client-auth-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const caFile = path.join(dir, 'ca.crt');
  // The client CA in a Secret-like mount, swapped through `..data`.
  const mount = new SecretMount({ cert: caA.certPem, key: 'unused' });
  t.teardown(() => mount.remove());
  const child = new ServeChild({}, ['--port', '0', '--metrics-port', '0', '--address', '127.0.0.1', '--standalone',
    '--ca-out', caFile, '--client-ca-file', mount.certFile, '--cert-poll-interval', '200ms']);
  t.teardown(() => child.kill());
  const ports = await child.ports();
  const servingCa = readFileSync(caFile, 'utf8');
  t.match(await child.logLine('client CA loaded: the webhook port requires client certificates signed by it'), { certificates: 1, subjects: ['CN=apiserver-client-ca'] });
  t.match(await child.logLine('webhook listening'), { clientAuth: true });

  t.same(await call(ports.webhook, fromA, servingCa), { status: 200 }, 'a caller with a certificate from the CA is served');
  t.ok('error' in await call(ports.webhook, undefined, servingCa), 'a caller without one is refused');
  const readyz = await getJson(ports.metrics, '/readyz');
  t.equal('status' in readyz && readyz.status, 200, 'the health port answers plain HTTP without any certificate');

  mount.swap({ cert: caB.certPem, key: 'unused' });
  await child.logLine('client CA reloaded: new connections are checked against it');
  await waitFor('the new CA in force', async () => {
    const answer = await call(ports.webhook, fromB, servingCa);
    return 'status' in answer && answer.status === 200;
  });
  t.ok('error' in await call(ports.webhook, fromA, servingCa), 'the replaced CA\'s callers are refused');

  mount.swap({ cert: 'not a certificate', key: 'unused' });
  await child.logLine('client CA change rejected: keeping the current one');
  t.same(await call(ports.webhook, fromB, servingCa), { status: 200 }, 'a broken CA file is refused; the current CA stays');

  child.proc.kill('SIGTERM');
  await child.exited;
  t.equal(child.exit?.code, 0);
});

t.test('serve --client-ca-file with an unusable file does not start', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-client-auth-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = new ServeChild({}, ['--port', '0', '--metrics-port', '0', '--address', '127.0.0.1', '--standalone',
    '--ca-out', path.join(dir, 'ca.crt'), '--client-ca-file', path.join(dir, 'missing.crt')]);
  t.teardown(() => child.kill());
  await child.exited;
  t.equal(child.exit?.code, 1, 'exit code 1');
  t.match(child.logs.find((l) => l.level === 'fatal')?.msg, /cannot read --client-ca-file .*missing\.crt/);
});
