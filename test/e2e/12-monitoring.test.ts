// Scenario 12: deploy/monitoring against a real Prometheus (Debian's package, started on
// loopback) scraping a real injector (`serve --standalone`). After admissions of every
// result, a slow one, a rejected configuration version, and with a replica down, every
// query of the dashboard and every expression of the PrometheusRule returns at least one
// series: the recording rules and the dashboard from the traffic, each alert because the
// condition it watches was made true. Last, the injector is stopped: the alert for "no
// replica up" then returns its series too. No cluster is needed.
//
// Without Kubernetes there are no Endpoints: the scrape config sets the `ready` label that
// the ServiceMonitor's relabeling copies from the endpoint's readiness ("true" for the
// injector, which is ready; "false" for a replica that does not answer).
import https from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import YAML from 'yaml';
import { dashboardQueries, ruleGroups, withVariables } from '../deploy/monitoring-queries.js';
import { noKubectl, render } from '../deploy/render.js';
import { freePort } from './support/injector.js';
import { noPrometheus, PrometheusProcess, type Series } from './support/prometheus.js';
import { DEPLOY_DIR, requireBuild, TEMPLATES_DIR } from './support/repo.js';
import { admitOnce, podCreateReview } from './support/reviews.js';
import { ServeProcess } from './support/serve-process.js';
import { ProjectedVolume } from '../support/volume.js';
import { datedCertificate } from '../support/dated-cert.js';
import { waitFor } from './support/wait.js';
import { workFolder } from './support/work-folder.js';

t.setTimeout(300_000);

const JOB = 'sidecar-injector';
const NAMESPACE = 'e2e-monitoring';
/** Longer than the slow admission below takes to send its body. */
const REQUEST_TIMEOUT = '10s';
/** How long the slow client takes over its body: above the 2.5 s the latency alert watches. */
const SLOW_BODY_MS = 3_000;
/** The serving certificate's remaining life: under a day, so both expiry alerts fire. */
const CERTIFICATE_DAYS = 0.5;

const skip = noPrometheus || noKubectl;

function templateFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of ['config.yaml', 'sidecar.template.yaml']) files[file] = readFileSync(join(TEMPLATES_DIR, file), 'utf8');
  return files;
}

/** One admission whose body arrives SLOW_BODY_MS after its headers, as from a slow network. */
function slowAdmission(port: number, ca: string, review: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(review);
    const req = https.request({
      host: '127.0.0.1', port, path: '/inject', method: 'POST', agent: false, ca,
      headers: { 'content-type': 'application/json', 'content-length': body.length },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.write(body.subarray(0, 10));
    // The delay is the stimulus (a client that is slow), not a wait for something to happen.
    setTimeout(() => req.end(body.subarray(10)), SLOW_BODY_MS);
  });
}

const resultOf = (series: Series[]) => series.map((s) => `${JSON.stringify(s.metric)} ${s.value[1]}`).join('; ');

t.test('Prometheus scrapes the injector; every dashboard query and rule expression returns a series', { skip }, async (t) => {
  requireBuild();
  const dir = await workFolder(t, '12-monitoring');
  const objects = render(join(DEPLOY_DIR, 'monitoring'));
  const groups = ruleGroups(objects);
  const dashboard = JSON.parse(objects.find((o) => o.kind === 'ConfigMap')!.data['sidecar-injector-dashboard.json']);

  // The injector, with its configuration laid out as a ConfigMap volume.
  const config = new ProjectedVolume(join(dir, 'config'), templateFiles());
  const pair = await datedCertificate('sidecar-injector-e2e', -1, CERTIFICATE_DAYS);
  writeFileSync(join(dir, 'tls.crt'), pair.cert);
  writeFileSync(join(dir, 'tls.key'), pair.key);
  const server = new ServeProcess({
    flags: ['--standalone', '--namespace-labels', 'sidecar-injection=enabled', '--config-dir', config.dir,
      '--request-timeout', REQUEST_TIMEOUT, '--tls-cert-file', join(dir, 'tls.crt'), '--tls-key-file', join(dir, 'tls.key'),
      '--log-level', 'info'],
    logFile: join(dir, 'injector.log'),
  });
  t.teardown(() => server.stop().then(() => undefined));
  await server.start();
  const ca = pair.cert;

  // Prometheus: the rule groups as a rule file, the injector and a replica that is down.
  const prometheus = new PrometheusProcess(dir);
  t.teardown(() => prometheus.stop());
  const down = await freePort();
  writeFileSync(join(dir, 'rules.yaml'), YAML.stringify({ groups }));
  await prometheus.start(YAML.stringify({
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: ['rules.yaml'],
    scrape_configs: [{
      job_name: JOB,
      static_configs: [
        { targets: [`127.0.0.1:${server.metricsPort}`], labels: { ready: 'true' } },
        { targets: [`127.0.0.1:${down}`], labels: { ready: 'false' } },
      ],
    }],
  }));
  const loaded = await prometheus.rules();
  t.same(loaded.map((g) => g.name).sort(), groups.map((g) => g.name).sort(), 'Prometheus loaded every rule group');
  // Rates need a sample before the traffic: wait for the first scrapes.
  await waitFor('two scrapes of the injector', async () => (await prometheus.query(`count_over_time(up{job="${JOB}", ready="true"}[1m]) >= 2`)).length === 1);

  // Traffic: 20 injected, 5 skipped, 6 denied, 6 errors and one slow injection (38 in all):
  // errors and denials 16 % (alerts at 5 % and 10 %), the slow one above the 99th percentile.
  const admit = (review: string) => admitOnce(server.port, ca, review);
  for (let i = 0; i < 20; i++) t.equal((await admit(podCreateReview(NAMESPACE, `web-${i}`))).body.response?.allowed, true, 'allowed');
  for (let i = 0; i < 5; i++) await admit(podCreateReview(NAMESPACE, `opted-out-${i}`, { labels: { 'sidecar-injector.io/inject': 'false' } }));
  for (let i = 0; i < 6; i++) {
    const denied = await admit(podCreateReview(NAMESPACE, `bad-${i}`, { annotations: { 'sidecar-injector.io/proxy-cpu': 'lots' } }));
    t.equal(denied.body.response?.allowed, false, 'invalid annotation denied');
  }
  for (let i = 0; i < 6; i++) t.equal((await admit(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }))).status, 400);
  t.equal(await slowAdmission(server.port, ca, podCreateReview(NAMESPACE, 'slow')), 200, 'the slow admission is answered');
  // A configuration version that does not parse: rejected, the last good one kept.
  config.swap({ ...templateFiles(), 'config.yaml': 'policy: [unclosed\n' });
  await waitFor('the rejected configuration to be counted', async () => await server.sample('sidecar_injector_config_reloads_total', { result: 'failure' }) >= 1);
  for (const [result, count] of [['injected', 21], ['skipped', 5], ['denied', 6], ['error', 6]] as const) {
    t.equal(await server.sample('sidecar_injector_requests_total', { result }), count, `${count} ${result}`);
  }

  const queries = [
    ...dashboardQueries(dashboard).map((q) => ({ what: `dashboard "${q.panel}" ${q.refId}`, expr: withVariables(q.expr, { job: JOB, rateInterval: '1m' }) })),
    ...groups.flatMap((g) => g.rules).filter((r) => r.alert !== 'SidecarInjectorUnavailable')
      .map((r) => ({ what: `rule ${r.record ?? `${r.alert} (${r.labels?.severity})`}`, expr: r.expr })),
  ];
  for (const { what, expr } of queries) {
    const series = await waitFor(`${what} to return a series: ${expr}`, async () => {
      const result = await prometheus.query(expr);
      return result.length > 0 ? result : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    t.ok(series.length > 0, `${what}: ${resultOf(series).slice(0, 200)}`);
  }

  // The latency the slow client caused is what the alert saw, not an artefact of the test.
  const [p99] = await prometheus.query('sidecar_injector:request_duration_seconds:p99_rate5m');
  t.ok(Number(p99.value[1]) > 2.5, `p99 ${p99.value[1]} s is above 2.5 s`);
  for (const group of await prometheus.rules()) {
    for (const rule of group.rules) t.equal(rule.health, 'ok', `${group.name}/${rule.name} evaluates without error`, { error: rule.lastError });
  }

  // Last: no replica answers any more.
  await server.stop();
  for (const rule of groups.flatMap((g) => g.rules).filter((r) => r.alert === 'SidecarInjectorUnavailable')) {
    const series = await waitFor(`${rule.alert} to return a series once the injector stopped`, async () => {
      const result = await prometheus.query(rule.expr);
      return result.length > 0 ? result : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    t.ok(series.length > 0, `rule ${rule.alert}: ${resultOf(series)}`);
  }
});
