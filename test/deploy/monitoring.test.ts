// deploy/monitoring: rendered with kubectl's kustomize; the ServiceMonitor finds the
// install's Service; the PrometheusRule's groups pass `promtool check rules` and the unit
// tests of monitoring-rules.promtool.yaml (`promtool test rules`); the dashboard is valid
// JSON; and every metric the rules and the dashboard use is one the injector exports.
// The Prometheus Operator's CRDs are not needed (and absent from the test apiserver): the
// objects are checked as rendered. test/e2e/12-monitoring.test.ts runs the queries on a
// real Prometheus scraping a real injector.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { createMetrics } from '../../src/server/metrics.js';
import { dashboardQueries, familyOf, metricNames, ruleGroups } from './monitoring-queries.js';
import { noKubectl as skip, only, render, selects, type Obj } from './render.js';

const repo = resolve(import.meta.dirname, '../..');
const DASHBOARD_FILE = 'sidecar-injector-dashboard.json';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const noPromtool = promtool.error
  ? `promtool not found (${promtool.error.message}): install Debian's package \`prometheus\` (apt-get install prometheus); .ci/run does`
  : false;

const objects = skip ? [] : render(join(repo, 'deploy/monitoring'));
const base = skip ? [] : render(join(repo, 'deploy/base'));

/** The rule groups as a plain Prometheus rule file in a fresh folder, with the promtool unit tests beside it. */
function ruleFolder(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'monitoring-rules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'rules.yaml'), YAML.stringify({ groups: ruleGroups(objects) }));
  copyFileSync(join(import.meta.dirname, 'monitoring-rules.promtool.yaml'), join(dir, 'tests.yaml'));
  return dir;
}

t.test('deploy/monitoring renders a ServiceMonitor, a PrometheusRule and the dashboard ConfigMap', { skip }, async (t) => {
  t.same(objects.map((o) => `${o.apiVersion} ${o.kind}`).sort(), [
    'monitoring.coreos.com/v1 PrometheusRule', 'monitoring.coreos.com/v1 ServiceMonitor', 'v1 ConfigMap',
  ]);
  for (const o of objects) t.equal(o.metadata.namespace, 'sidecar-injector', `${o.kind} in the injector's namespace`);
});

t.test('the ServiceMonitor scrapes the install\'s metrics port', { skip }, async (t) => {
  const monitor = only(objects, 'ServiceMonitor').spec;
  const service = only(base, 'Service');
  t.ok(selects(monitor.selector, service.metadata.labels), 'selects the Service by its labels');
  t.ok(monitor.namespaceSelector.matchNames.includes(service.metadata.namespace), 'in its namespace');
  t.equal(monitor.endpoints.length, 1);
  const [endpoint] = monitor.endpoints;
  const port = service.spec.ports.find((p: Obj) => p.name === endpoint.port);
  t.equal(port?.port, 8080, 'the Service port named as the endpoint is the metrics port');
  t.equal(endpoint.path, '/metrics');
  t.ok(only(base, 'NetworkPolicy').spec.ingress.some((rule: Obj) => rule.ports.some((p: Obj) => p.port === 'metrics')),
    'the NetworkPolicy has a rule for that port (Prometheus\' namespace must carry its label)');
  const ready = endpoint.relabelings.find((r: Obj) => r.targetLabel === 'ready');
  t.same(ready.sourceLabels, ['__meta_kubernetes_endpoint_ready', '__meta_kubernetes_endpointslice_endpoint_conditions_ready'],
    'the endpoint\'s readiness becomes the label `ready` the alerts read, with either discovery role');
  t.equal(ready.separator, '', 'only one of the two is set: their concatenation is "true" or "false"');
});

t.test('the PrometheusRule passes promtool check rules and its unit tests', { skip: skip || noPromtool }, async (t) => {
  const dir = ruleFolder(t);
  const check = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yaml')], { encoding: 'utf8' });
  t.equal(check.status, 0, 'promtool check rules', { output: check.stdout + check.stderr });
  const groups = ruleGroups(objects);
  const count = groups.reduce((n, g) => n + g.rules.length, 0);
  t.match(check.stdout, `SUCCESS: ${count} rules found`);
  const test = spawnSync('promtool', ['test', 'rules', join(dir, 'tests.yaml')], { encoding: 'utf8', cwd: dir });
  t.equal(test.status, 0, 'promtool test rules', { output: test.stdout + test.stderr });
  t.match(test.stdout, /SUCCESS/);

  // Every alert has a unit test that makes it fire.
  const tested = new Set<string>(YAML.parse(readFileSync(join(dir, 'tests.yaml'), 'utf8')).tests
    .flatMap((test: Obj) => (test.alert_rule_test ?? []).filter((a: Obj) => a.exp_alerts.length > 0).map((a: Obj) => a.alertname)));
  for (const rule of groups.flatMap((g) => g.rules).filter((r) => r.alert)) {
    t.ok(tested.has(rule.alert!), `${rule.alert}: a unit test expects it to fire`);
    t.match(rule.labels?.severity, /^(critical|warning)$/, `${rule.alert}: severity`);
  }
});

t.test('the dashboard ConfigMap holds the dashboard file, valid for Grafana\'s sidecar', { skip }, async (t) => {
  const configMap = only(objects, 'ConfigMap');
  const text = readFileSync(join(repo, 'deploy/monitoring', DASHBOARD_FILE), 'utf8');
  t.same(Object.keys(configMap.data), [DASHBOARD_FILE]);
  t.equal(configMap.data[DASHBOARD_FILE], text, 'identical to the file');
  t.equal(configMap.metadata.labels.grafana_dashboard, '1', 'the label Grafana\'s dashboard sidecar loads');
  const dashboard = JSON.parse(text);
  t.equal(dashboard.uid, 'sidecar-injector');
  const ids = dashboard.panels.map((p: Obj) => p.id);
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  const variables = dashboard.templating.list.map((v: Obj) => v.name);
  t.same(variables, ['datasource', 'job']);
  for (const panel of dashboard.panels.filter((p: Obj) => p.type !== 'row')) {
    t.ok(panel.targets?.length > 0, `${panel.title}: has queries`);
    t.equal(panel.datasource.uid, '${datasource}', `${panel.title}: uses the data source variable`);
    for (const target of panel.targets) t.match(target.expr, /job=~"\$job"/, `${panel.title} ${target.refId}: filtered by job`);
  }
});

t.test('the rules and the dashboard use only metrics the injector exports', { skip }, async (t) => {
  const metrics = createMetrics();
  const families = await metrics.registry.getMetricsAsJSON();
  const exported = new Set(families.map((f) => f.name));
  // prom-client's typings say an enum; the value is the text.
  const histograms = new Set(families.filter((f) => String(f.type) === 'histogram').map((f) => f.name));
  const groups = ruleGroups(objects);
  const recorded = new Set(groups.flatMap((g) => g.rules).flatMap((r) => (r.record ? [r.record] : [])));
  const queries = [
    ...groups.flatMap((g) => g.rules).map((r) => ({ what: `rule ${r.record ?? r.alert}`, expr: r.expr })),
    ...dashboardQueries(JSON.parse(readFileSync(join(repo, 'deploy/monitoring', DASHBOARD_FILE), 'utf8')))
      .map((q) => ({ what: `panel "${q.panel}" ${q.refId}`, expr: q.expr })),
  ];
  const used = new Set<string>();
  for (const { what, expr } of queries) {
    const names = metricNames(expr);
    for (const name of expr.match(/[a-z_]+:[a-z0-9_:]+/g) ?? []) t.ok(recorded.has(name), `${what}: ${name} is a recording rule here`);
    t.ok(names.length > 0 || /[a-z_]+:[a-z0-9_:]+/.test(expr), `${what}: selects something`);
    for (const name of names) {
      const family = familyOf(name, histograms);
      used.add(family);
      if (family === 'up') continue; // Prometheus' own series per scrape target
      t.ok(exported.has(family), `${what}: ${family} is exported by the injector`);
    }
  }
  for (const name of ['sidecar_injector_requests_total', 'sidecar_injector_skipped_total', 'sidecar_injector_request_duration_seconds',
    'sidecar_injector_config_reloads_total', 'sidecar_injector_in_flight_requests', 'sidecar_injector_shed_total',
    'sidecar_injector_certificate_expiry_timestamp_seconds']) {
    t.ok(used.has(name), `the dashboard or the rules show ${name}`);
  }
});

t.test('metricNames reads the names out of PromQL', async (t) => {
  t.same(metricNames('sum by (le, job) (rate(a_total{job=~"$job", x="b_c"}[$__rate_interval])) / on (job) group_left c'), ['a_total', 'c']);
  t.same(metricNames('absent(up{job="x", ready!="false"} == 1)'), ['up']);
  t.same(metricNames('x:y:rate5m > 0.05 and z - time() < 7 * 86400'), ['z']);
  t.equal(familyOf('h_bucket', new Set(['h'])), 'h');
  t.equal(familyOf('h_count', new Set()), 'h_count');
});
