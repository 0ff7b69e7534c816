// Attack 4 of issue 10: an expired serving certificate was accepted at start (readyz 200)
// and on reload ("certificate reloaded"), and every apiserver call then failed TLS
// verification; no metric said when the certificate expires. Now, over a real server: an
// expired certificate at start leaves it not ready; a valid one written later is put in
// use and makes it ready; an expired replacement is refused (the valid one keeps serving),
// logged and counted; the expiry is exported.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import { ServeChild, getJson } from '../server/support/child.js';
import { waitFor } from '../server/support/harness.js';
import { SecretMount } from '../server/support/secret-mount.js';
import { datedCertificate } from '../support/dated-cert.js';
import { recordAttack } from './support/record.js';

t.setTimeout(180_000);

async function metrics(port: number): Promise<string> {
  const r = await getJson(port, '/metrics');
  return 'body' in r ? String(r.body) : '';
}

function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : NaN;
}

/** The certificate the webhook port presents now. */
function presented(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, agent: false }, (res) => {
      resolve((res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256);
      res.resume();
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('expired certificates: not ready at start, refused on reload, expiry exported', async (t) => {
  const expired = await datedCertificate('expired', -30, -1);
  const valid = await datedCertificate('valid', -1, 30);
  const expiredAgain = await datedCertificate('expired-again', -30, -2);
  const mount = new SecretMount(expired);
  t.teardown(() => mount.remove());
  const child = new ServeChild({ realEngine: false }, [
    '--port', '0', '--metrics-port', '0', '--address', '127.0.0.1', '--standalone',
    '--tls-cert-file', mount.certFile, '--tls-key-file', mount.keyFile, '--cert-poll-interval', '100ms',
  ]);
  t.teardown(() => child.kill());
  const ports = await child.ports();

  const notUsable = await child.logLine('certificate not usable: not ready until a valid one is found');
  t.match(notUsable.reason, /the certificate expired at/);
  const readyz = await getJson(ports.metrics, '/readyz');
  t.equal('status' in readyz && readyz.status, 503, 'not ready with only an expired certificate');
  t.match('body' in readyz && JSON.stringify(readyz.body), /certificate/, '/readyz says it waits for the certificate');
  const expiry = (pem: string) => Math.floor(Date.parse(new X509Certificate(pem).validTo) / 1000);
  t.equal(metric(await metrics(ports.metrics), 'sidecar_injector_certificate_expiry_timestamp_seconds{certificate="serving"}'), expiry(expired.cert));

  mount.swap(valid);
  await waitFor('ready with the valid certificate', async () => { const r = await getJson(ports.metrics, '/readyz'); return 'status' in r && r.status === 200; }, 30_000);
  const validPrint = new X509Certificate(valid.cert).fingerprint256;
  t.equal(await presented(ports.webhook), validPrint, 'the valid certificate is served');

  mount.swap(expiredAgain);
  await child.logLine('certificate change rejected: keeping the current certificate', 30_000);
  const rejected = child.logs.find((l) => l.msg === 'certificate change rejected: keeping the current certificate');
  t.match(rejected?.reason, /the certificate expired at .*expired-again/);
  // /metrics is rendered at most once a second (the health port's own bound): wait for a fresh text.
  const text = await waitFor('the refusal in /metrics', async () => {
    const current = await metrics(ports.metrics);
    return metric(current, 'sidecar_injector_certificate_reloads_total{certificate="serving",result="failure"}') === 1 && current;
  }, 10_000);
  t.equal(metric(text, 'sidecar_injector_certificate_reloads_total{certificate="serving",result="failure"}'), 1, 'the refusal is counted');
  t.equal(metric(text, 'sidecar_injector_certificate_reloads_total{certificate="serving",result="success"}'), 1);
  t.equal(metric(text, 'sidecar_injector_certificate_expiry_timestamp_seconds{certificate="serving"}'), expiry(valid.cert), 'the expiry of the certificate in use');
  t.equal(await presented(ports.webhook), validPrint, 'the valid certificate keeps serving');
  const still = await getJson(ports.metrics, '/readyz');
  t.equal('status' in still && still.status, 200, 'still ready');
  recordAttack({
    id: 4,
    defect: 'An expired serving certificate was accepted at start and on reload',
    attack: 'start with an expired certificate, then rotate to a valid one, then to an expired one',
    before: 'readyz 200 with the expired certificate; the expired replacement "reloaded"; every apiserver call failed TLS; no expiry metric',
    after: 'readyz 503 until a valid certificate arrives; the expired replacement refused, logged and counted (certificate_reloads_total failure 1); the valid one keeps serving; expiry exported',
    test: 'test/attacks/config-4-certificate-dates.test.ts',
  });
});
