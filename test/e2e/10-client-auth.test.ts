// Caller authentication end to end: the injector runs with --client-ca-file, and a control
// plane of its own (kube-up) runs with --admission-control-config-file naming a kubeconfig
// that gives the apiserver a client certificate for the webhook's host:port, as the README
// describes. The apiserver's calls succeed (a pod is injected); curl without a client
// certificate, or with one from another CA, is refused in the TLS handshake; the
// health port stays plain HTTP.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { generateCertificates } from '../../src/certs/generate.js';
import { makeClientCa, makeClientCertificate } from '../server/support/client-certs.js';
import { applyObjects, kubectlJson } from './support/kubectl.js';
import { localWebhookConfiguration, renderKustomization } from './support/manifests.js';
import { findKubeUp, startOwnCluster } from './support/own-cluster.js';
import { assertInjected, podManifest } from './support/pods.js';
import { DEPLOY_DIR, requireBuild } from './support/repo.js';
import { podCreateReview } from './support/reviews.js';
import { ServeProcess } from './support/serve-process.js';
import { waitFor } from './support/wait.js';
import { workFolder } from './support/work-folder.js';

t.setTimeout(300_000);
const kubeUp = findKubeUp();

interface CurlResult { exitCode: number; httpCode: string; stderr: string }

/** curl POST /inject (curl exits non-zero when the TLS handshake fails; http_code is then 000). */
async function curl(args: string[]): Promise<CurlResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', ...args]);
    return { exitCode: 0, httpCode: stdout.trim(), stderr };
  } catch (err) {
    const failure = err as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: typeof failure.code === 'number' ? failure.code : -1, httpCode: (failure.stdout ?? '').trim(), stderr: failure.stderr ?? '' };
  }
}

t.test('the webhook port accepts only callers with a certificate from --client-ca-file', { skip: kubeUp ? false : 'kube-up not found (set KUBE_UP)' }, async (t) => {
  requireBuild();
  const dir = await workFolder(t, '10-client-auth');
  const pki = join(dir, 'pki');
  await mkdir(pki);

  // The injector's serving certificate, and the CA that signs the apiserver's client certificate.
  const serving = await generateCertificates({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], caName: 'webhook-serving-ca' });
  const callers = makeClientCa('webhook-callers-ca');
  const apiserverClient = makeClientCertificate(callers, 'kube-apiserver');
  const stranger = makeClientCertificate(makeClientCa('some-other-ca'), 'kube-apiserver');
  const files = {
    servingCa: join(pki, 'serving-ca.crt'), servingCert: join(pki, 'tls.crt'), servingKey: join(pki, 'tls.key'),
    callersCa: join(pki, 'callers-ca.crt'),
    clientCert: join(pki, 'apiserver-client.crt'), clientKey: join(pki, 'apiserver-client.key'),
    strangerCert: join(pki, 'stranger.crt'), strangerKey: join(pki, 'stranger.key'),
  };
  await Promise.all([
    writeFile(files.servingCa, serving.caCertPem), writeFile(files.servingCert, serving.certPem), writeFile(files.servingKey, serving.keyPem, { mode: 0o600 }),
    writeFile(files.callersCa, callers.certPem),
    writeFile(files.clientCert, apiserverClient.cert), writeFile(files.clientKey, apiserverClient.key, { mode: 0o600 }),
    writeFile(files.strangerCert, stranger.cert), writeFile(files.strangerKey, stranger.key, { mode: 0o600 }),
  ]);

  const injector = new ServeProcess({
    flags: ['--standalone', '--namespace-labels', 'sidecar-injection=enabled', '--tls-cert-file', files.servingCert,
      '--tls-key-file', files.servingKey, '--client-ca-file', files.callersCa],
    logFile: join(dir, 'injector.log'),
  });
  t.teardown(() => injector.stop().then(() => undefined));
  await injector.start();
  const host = `127.0.0.1:${injector.port}`;

  // What an operator adds to the apiserver: a kubeconfig whose user for the webhook's
  // host:port holds the client certificate, named by the admission configuration.
  const admissionKubeconfig = join(pki, 'webhook-callers.kubeconfig');
  await writeFile(admissionKubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config',
    users: [{ name: host, user: { 'client-certificate': files.clientCert, 'client-key': files.clientKey } }],
  }, null, 2));
  const admissionConfig = join(pki, 'admission.yaml');
  await writeFile(admissionConfig, JSON.stringify({
    apiVersion: 'apiserver.config.k8s.io/v1', kind: 'AdmissionConfiguration',
    plugins: [{
      name: 'MutatingAdmissionWebhook',
      configuration: { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'WebhookAdmissionConfiguration', kubeConfigFile: admissionKubeconfig },
    }],
  }, null, 2));
  const cluster = await startOwnCluster(t, kubeUp!, join(dir, 'kube'), [`--admission-control-config-file=${admissionConfig}`]);
  const k = ['--kubeconfig', cluster.kubeconfig];

  const caBundle = Buffer.from(serving.caCertPem).toString('base64');
  const rendered = await renderKustomization(join(DEPLOY_DIR, 'base'));
  await applyObjects([
    localWebhookConfiguration(rendered, `https://${host}/inject`, caBundle),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mesh', labels: { 'sidecar-injection': 'enabled' } } },
  ], k);

  t.test('the apiserver presents its client certificate: a pod is injected', async (t) => {
    await applyObjects([podManifest('authenticated', 'mesh')], k);
    assertInjected(t, await kubectlJson([...k, '-n', 'mesh', 'get', 'pod', 'authenticated']));
    t.ok(await waitFor('the admission in the injector\'s log', () => injector.logLines('admission').some((line) => line.pod === 'authenticated' && line.decision === 'injected')),
      'the injector logged the admission');
  });

  const review = join(dir, 'review.json');
  await writeFile(review, podCreateReview('mesh'));
  const post = ['-X', 'POST', '-H', 'content-type: application/json', '--data-binary', `@${review}`, '--cacert', files.servingCa, `https://${host}/inject`];

  t.test('curl with the apiserver\'s client certificate is served', async (t) => {
    const result = await curl(['--cert', files.clientCert, '--key', files.clientKey, ...post]);
    t.same({ exitCode: result.exitCode, httpCode: result.httpCode }, { exitCode: 0, httpCode: '200' }, result.stderr);
  });

  t.test('curl without a client certificate is refused in the TLS handshake', async (t) => {
    const result = await curl(post);
    t.not(result.exitCode, 0, `curl fails (exit ${result.exitCode}: ${result.stderr.trim()})`);
    t.equal(result.httpCode, '000', 'no HTTP response at all');
  });

  t.test('curl with a certificate from another CA is refused', async (t) => {
    const result = await curl(['--cert', files.strangerCert, '--key', files.strangerKey, ...post]);
    t.not(result.exitCode, 0, `curl fails (exit ${result.exitCode}: ${result.stderr.trim()})`);
    t.equal(result.httpCode, '000', 'no HTTP response at all');
  });

  t.test('the health and metrics port stays plain HTTP', async (t) => {
    const result = await curl([`http://127.0.0.1:${injector.metricsPort}/readyz`]);
    t.same({ exitCode: result.exitCode, httpCode: result.httpCode }, { exitCode: 0, httpCode: '200' });
  });
});
