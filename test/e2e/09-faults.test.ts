// Faults under load, without a cluster: the built injector runs standalone as a process
// while a load generator keeps sending pod reviews over keep-alive HTTPS and accounts for
// every request (test/e2e/support/load.ts). Each scenario records a row of RELIABILITY.md:
//   1. 10 serving-certificate rotations (Secret-volume `..data` swaps);
//   2. 100 configuration reloads, half of them invalid (ConfigMap-volume `..data` swaps);
//   4. SIGTERM with requests in flight: every request sent before the signal is answered;
//   5. a burst at 5× the measured saturation rate: fast 503s or answers within the
//      apiserver's timeout, nothing lost, recovery afterwards, memory bounded.
// (Row 3, the apiserver restart, needs a cluster: 11-apiserver-restart.test.ts.)
// The server runs with its default limits, as shipped.
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { generateCertificates } from '../../src/certs/generate.js';
import { workFolder } from './support/work-folder.js';
import { Load, nowMs } from './support/load.js';
import { assertClean, assertSurvivedAndStop, recordRow, row } from './support/reliability.js';
import { requireBuild, TEMPLATES_DIR } from './support/repo.js';
import { admitOnce, patchedProxyImage, podCreateReview } from './support/reviews.js';
import { ServeProcess } from './support/serve-process.js';
import { ProjectedVolume } from '../support/volume.js';
import { waitFor } from './support/wait.js';

t.setTimeout(600_000);
requireBuild();

const STANDALONE = ['--standalone', '--namespace-labels', 'sidecar-injection=enabled', '--log-level', 'info'];
const REVIEW = podCreateReview('e2e-load');
/** How much more the burst may make the injector hold than a normal saturated load did. */
const BURST_RSS_MARGIN_BYTES = 64 * 1024 * 1024;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

const injected = (response: { allowed: boolean; patch?: string }) =>
  response.allowed && patchedProxyImage(response) ? undefined : `not injected: ${JSON.stringify(response).slice(0, 200)}`;
const seconds = (fromMs: number) => (nowMs() - fromMs) / 1000;
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

/** A certificate set for 127.0.0.1, files named as in a kubernetes.io/tls Secret. */
async function servingSet(name: string) {
  const generated = await generateCertificates({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], caName: name });
  return { ca: generated.caCertPem, files: { 'tls.crt': generated.certPem, 'tls.key': generated.keyPem } };
}

/**
 * Starts the injector (stopped in teardown; its log is kept in `dir` on failure). Without
 * --tls-cert-file it makes its own certificate: `ca` is the CA it wrote.
 */
async function startInjector(t: Test, dir: string, flags: string[]): Promise<{ server: ServeProcess; ca: string }> {
  const caFile = join(dir, 'ca.crt');
  const server = new ServeProcess({ flags: [...flags, '--ca-out', caFile], logFile: join(dir, 'injector.log') });
  t.teardown(() => server.stop().then(() => undefined));
  await server.start();
  return { server, ca: flags.includes('--tls-cert-file') ? '' : readFileSync(caFile, 'utf8') };
}

t.test('1. ten certificate rotations under load', async (t) => {
  const dir = await workFolder(t, '09-rotations');
  const sets = await Promise.all(Array.from({ length: 11 }, (_, i) => servingSet(`rotation-ca-${i}`)));
  const ca = sets.map((set) => set.ca);
  const volume = new ProjectedVolume(join(dir, 'tls'), sets[0].files);
  const { server } = await startInjector(t, dir, [...STANDALONE,
    '--tls-cert-file', volume.file('tls.crt'), '--tls-key-file', volume.file('tls.key')]);

  /** The certificate a brand-new connection is given. */
  const served = () => new Promise<string>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: server.port, ca }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });

  const began = nowMs();
  // Every 5th request of each worker opens a connection of its own, so handshakes keep
  // happening across the swaps; the other requests stay on keep-alive connections.
  const load = new Load({ port: server.port, ca, review: REVIEW, concurrency: 8, freshConnectionEvery: 5, check: injected });
  t.teardown(() => load.stop().then(() => undefined));
  await waitFor('traffic on the first certificate', () => load.succeeded >= 100);
  for (let i = 1; i <= 10; i++) {
    volume.swap(sets[i].files);
    await waitFor(`rotation ${i} to reach new connections`, async () => (await served()) === fingerprint(sets[i].files['tls.crt']), { intervalMs: 50 });
    const at = load.succeeded;
    await waitFor(`traffic after rotation ${i}`, () => load.succeeded >= at + 50, { intervalMs: 20 });
  }
  const counts = await load.stop();
  const maxRssBytes = server.peakRss();
  const durationS = seconds(began);

  assertClean(t, counts, load, '10 rotations');
  const seen = new Set(load.records.map((r) => r.peer).filter(Boolean));
  t.ok(sets.every((set) => seen.has(fingerprint(set.files['tls.crt']))), 'requests of the load itself were served with each of the 11 certificates');
  await waitFor('10 reloads in the log', () => server.logLines('certificate reloaded: new connections use it').length >= 10);
  t.equal(server.logLines('certificate reloaded: new connections use it').length, 10, 'the injector logged 10 reloads');
  const crashes = await assertSurvivedAndStop(t, server);
  recordRow(t, row(1, '10 certificate rotations', counts, {
    crashes, maxRssBytes, durationS,
    notes: `closed loop, 8 workers on keep-alive; every 5th request on a new connection (${load.records.filter((r) => r.peer).length} handshakes); all 11 certificates served to the load`,
  }));
});

t.test('2. one hundred configuration reloads, half of them invalid, under load', async (t) => {
  const dir = await workFolder(t, '09-reloads');
  const shippedConfig = readFileSync(join(TEMPLATES_DIR, 'config.yaml'), 'utf8');
  const template = readFileSync(join(TEMPLATES_DIR, 'sidecar.template.yaml'), 'utf8');
  const imageLine = /^(    image: )(\S+)$/m;
  t.match(shippedConfig, imageLine, 'templates/config.yaml sets values.proxy.image (the line the versions change)');
  const version = (image: string, valid: boolean) => ({
    'config.yaml': shippedConfig.replace(imageLine, `$1${image}`).replace(/^policy: enabled$/m, valid ? 'policy: enabled' : 'policy: sometimes'),
    'sidecar.template.yaml': template,
  });
  const volume = new ProjectedVolume(join(dir, 'config'), version('registry.example.com/e2e/envoy:v0', true));
  const { server, ca } = await startInjector(t, dir, [...STANDALONE, '--config-dir', volume.dir]);
  const reloads = async () => ({
    success: await server.sample('sidecar_injector_config_reloads_total', { result: 'success' }),
    failure: await server.sample('sidecar_injector_config_reloads_total', { result: 'failure' }),
  });
  const start = await reloads();
  t.same(start, { success: 1, failure: 0 }, 'the first version loaded');

  const began = nowMs();
  // No answer may carry an image from a rejected version.
  const load = new Load({
    port: server.port, ca: ca, review: REVIEW, concurrency: 8,
    check: (response) => injected(response) ?? (patchedProxyImage(response)!.includes('broken') ? `served a rejected version: ${patchedProxyImage(response)}` : undefined),
  });
  t.teardown(() => load.stop().then(() => undefined));
  await waitFor('traffic on the first version', () => load.succeeded >= 100);
  let expected = { ...start };
  for (let i = 1; i <= 100; i++) {
    const valid = i % 2 === 1;
    volume.swap(version(`registry.example.com/e2e/envoy:${valid ? 'v' : 'broken-'}${i}`, valid));
    expected = valid ? { ...expected, success: expected.success + 1 } : { ...expected, failure: expected.failure + 1 };
    const want = expected;
    await waitFor(`reload ${i} (${valid ? 'valid' : 'invalid'}) to be counted`, async () => {
      const now = await reloads();
      return now.success === want.success && now.failure === want.failure;
    }, { intervalMs: 20 });
  }
  const counts = await load.stop();
  const maxRssBytes = server.peakRss();
  const durationS = seconds(began);

  assertClean(t, counts, load, '100 reloads');
  t.same(await reloads(), { success: 51, failure: 50 }, 'sidecar_injector_config_reloads_total: 51 versions loaded (the first and 50 valid), 50 rejected');
  const last = await admitOnce(server.port, ca, podCreateReview('e2e-load'));
  t.equal(patchedProxyImage(last.body.response), 'registry.example.com/e2e/envoy:v99', 'the last valid version is in force');
  await waitFor('50 rejections in the log', () => server.logLines('configuration rejected: keeping the previous one').length >= 50);
  t.equal(server.logLines('configuration rejected: keeping the previous one').length, 50, 'each rejection was logged');
  const crashes = await assertSurvivedAndStop(t, server);
  recordRow(t, row(2, '100 config reloads (50 invalid)', counts, {
    crashes, maxRssBytes, durationS,
    notes: 'closed loop, 8 workers; --config-dir laid out as a ConfigMap volume, each version a `..data` swap; every answer checked for the proxy image of a valid version',
  }));
});

t.test('4. SIGTERM with requests in flight', async (t) => {
  const dir = await workFolder(t, '09-sigterm');
  const { server, ca } = await startInjector(t, dir, STANDALONE);
  const began = nowMs();
  // 24 workers: a backlog of requests in the server at any moment, under --max-in-flight (32).
  const load = new Load({ port: server.port, ca: ca, review: REVIEW, concurrency: 24, check: injected });
  t.teardown(() => load.stop().then(() => undefined));
  await waitFor('steady traffic', () => load.succeeded >= 300);

  // No new request after this instant; every request sent before it must be answered.
  load.pause();
  const inFlightAtSignal = load.counts().pending;
  const maxRssBytes = server.peakRss();
  server.signal('SIGTERM');
  const counts = await load.stop();
  const exit = await server.exited();
  const durationS = seconds(began);

  t.ok(inFlightAtSignal > 0, `requests were in flight at the signal (${inFlightAtSignal})`);
  assertClean(t, counts, load, 'SIGTERM');
  t.same(exit, { code: 0, signal: null }, 'the injector exits 0');
  t.equal(server.logLines('shutdown complete').length, 1, 'it logged a clean shutdown');
  recordRow(t, row(4, 'SIGTERM with requests in flight', counts, {
    crashes: server.crashes, maxRssBytes, durationS,
    notes: `closed loop, 24 workers; ${inFlightAtSignal} requests in flight at the signal, all answered; exit code ${exit.code}`,
  }));
});

t.test('5. a burst at five times saturation', async (t) => {
  const dir = await workFolder(t, '09-burst');
  const { server, ca } = await startInjector(t, dir, STANDALONE);

  // Saturation: what 8 connections in a closed loop get through (the server's CPU is the limit).
  const calibration = new Load({ port: server.port, ca, review: REVIEW, concurrency: 8, check: injected });
  t.teardown(() => calibration.stop().then(() => undefined));
  const calibrationBegan = nowMs();
  await waitFor('a saturation measurement (3 s and 200 answers)', () => seconds(calibrationBegan) >= 3 && calibration.succeeded >= 200, { timeoutMs: 120_000, intervalMs: 50 });
  const calibrated = await calibration.stop();
  assertClean(t, calibrated, calibration, 'calibration');
  const saturation = calibrated.succeeded / seconds(calibrationBegan);
  const rssAtSaturation = server.peakRss();

  // The burst: five times that rate, whatever the answers, for 5 s, on up to 48 keep-alive
  // connections (the server's per-client cap is 64), as the apiserver would send it.
  const began = nowMs();
  const burst = new Load({ port: server.port, ca, review: REVIEW, ratePerSecond: Math.ceil(5 * saturation), maxSockets: 48, allowShed: true, check: injected });
  t.teardown(() => burst.stop().then(() => undefined));
  await waitFor('the 5 s burst', () => seconds(began) >= 5, { intervalMs: 50 });
  burst.pause();
  const offered = burst.records.length / seconds(began);
  const counts = await burst.stop();
  const durationS = seconds(began);
  const maxRssBytes = server.peakRss();

  t.equal(counts.lost, 0, 'burst: no request lost (each answered within the 5 s webhook timeout)', { problems: burst.problems() });
  t.equal(counts.failed, 0, 'burst: no request failed (each answer an injection or a 503 "overloaded" with Retry-After)', { problems: burst.problems() });
  t.equal(counts.succeeded + counts.shed, counts.sent, 'burst: every request served or shed');
  t.equal(await server.sample('sidecar_injector_shed_total', { limit: 'max-in-flight' }), counts.shed, 'the injector counted the same number of 503s');
  // Memory is bounded if the burst holds no more than a normal saturated load does: the
  // backlog waits outside the process (or is shed), not in it.
  t.ok(maxRssBytes <= rssAtSaturation + BURST_RSS_MARGIN_BYTES,
    `peak RSS after the burst (${mib(maxRssBytes)} MiB) within ${mib(BURST_RSS_MARGIN_BYTES)} MiB of the peak at saturation (${mib(rssAtSaturation)} MiB)`);

  // Recovery: a normal load right after is served in full.
  const recovery = new Load({ port: server.port, ca, review: REVIEW, concurrency: 4, check: injected });
  t.teardown(() => recovery.stop().then(() => undefined));
  await waitFor('traffic after the burst', () => recovery.succeeded >= 200);
  const recovered = await recovery.stop();
  assertClean(t, recovered, recovery, 'after the burst');
  t.ok(server.isRunning, 'the injector is still running');

  const served = burst.latency('succeeded');
  const shed = burst.latency('shed');
  const queued = burst.queueing();
  recordRow(t, row(5, 'burst at 5× saturation', counts, {
    crashes: server.crashes, maxRssBytes, durationS,
    notes: `saturation ${saturation.toFixed(0)} req/s (8 connections, closed loop, peak RSS ${mib(rssAtSaturation)} MiB); `
      + `burst offered ${offered.toFixed(0)} req/s open loop for 5 s on at most 48 keep-alive connections; `
      + `served ${counts.succeeded} (p99 ${served.p99} ms, max ${served.max} ms), shed ${counts.shed} with 503 + Retry-After (p50 ${shed.p50} ms, p99 ${shed.p99} ms), `
      + `times from getting a connection (the generator's own queue, p50 ${queued.p50} ms, is not the server's); `
      + `then ${recovered.succeeded}/${recovered.sent} served at normal load; default --max-in-flight 32`,
  }));
});
