// The metrics-port app: liveness, readiness through startup and shutdown, Prometheus text.
import t from 'tap';
import { buildHealthApp } from '../../src/server/health-app.js';
import { createMetrics } from '../../src/server/metrics.js';
import { Readiness } from '../../src/server/readiness.js';
import { captureLogs } from './support/harness.js';

function setup() {
  const readiness = new Readiness();
  const metrics = createMetrics();
  const app = buildHealthApp({ logger: captureLogs().logger, metrics, readiness });
  return { app, readiness, metrics };
}

t.test('/healthz answers while the process lives, whatever readiness says', async (t) => {
  const { app, readiness } = setup();
  t.equal((await app.inject('/healthz')).statusCode, 200);
  readiness.beginShutdown();
  const res = await app.inject('/healthz');
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ok' });
});

t.test('/readyz: ready only with config, certificate and namespaces loaded and the webhook listening, never again once shutting down', async (t) => {
  const { app, readiness } = setup();
  let res = await app.inject('/readyz');
  t.equal(res.statusCode, 503);
  t.same(res.json(), { status: 'not-ready', waitingFor: ['config', 'certificate', 'namespaces', 'listening'] });
  readiness.satisfy('certificate');
  readiness.satisfy('namespaces');
  readiness.satisfy('listening');
  res = await app.inject('/readyz');
  t.equal(res.statusCode, 503);
  t.same(res.json().waitingFor, ['config']);
  readiness.satisfy('config');
  res = await app.inject('/readyz');
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ready' });
  readiness.beginShutdown();
  res = await app.inject('/readyz');
  t.equal(res.statusCode, 503);
  t.same(res.json().waitingFor, ['shutting-down']);
});

t.test('/metrics: Prometheus text with the contract names and process metrics', async (t) => {
  const { app, metrics } = setup();
  metrics.configReloads.inc({ result: 'success' });
  const res = await app.inject('/metrics');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain/);
  for (const line of [
    'sidecar_injector_requests_total{result="injected"} 0',
    'sidecar_injector_requests_total{result="error"} 0',
    'sidecar_injector_skipped_total{reason="not-a-pod-create"} 0',
    'sidecar_injector_config_reloads_total{result="success"} 1',
    'sidecar_injector_config_reloads_total{result="failure"} 0',
    '# TYPE sidecar_injector_request_duration_seconds histogram',
    '# TYPE process_cpu_user_seconds_total counter',
    '# TYPE nodejs_eventloop_lag_seconds gauge',
  ]) t.match(res.body, line);
  t.equal((await app.inject('/nope')).json().error.code, 'not-found');
});

t.test('each app owns its registry: two sets of metrics do not collide', async (t) => {
  const a = createMetrics();
  const b = createMetrics();
  a.requests.inc({ result: 'injected' });
  t.match(await a.registry.metrics(), 'sidecar_injector_requests_total{result="injected"} 1');
  t.match(await b.registry.metrics(), 'sidecar_injector_requests_total{result="injected"} 0');
});

t.test('/metrics is rendered at most once per cache interval and answers are paced', async (t) => {
  const { cachedMetricsText } = await import('../../src/server/metrics-text.js');
  let renders = 0;
  const registry = { metrics: async () => `text ${++renders}` } as unknown as import('prom-client').Registry;
  const text = cachedMetricsText(registry, { cacheMs: 60_000, paceMs: 20 });
  const started = performance.now();
  const answers = await Promise.all([text(), text(), text(), text()]);
  t.same(answers, ['text 1', 'text 1', 'text 1', 'text 1'], 'one rendering shared by every caller within the interval');
  t.ok(performance.now() - started >= 55, 'four answers take at least three pacing intervals');
  const fresh = cachedMetricsText(registry, { cacheMs: 0, paceMs: 0 });
  t.same([await fresh(), await fresh()], ['text 2', 'text 3'], 'past the interval the text is rendered again');
});

t.test('the port has limits: a connection cap and a request timeout', async (t) => {
  const { app } = setup();
  t.teardown(() => app.close());
  await app.ready();
  t.equal(app.server.maxConnections, 32);
  t.equal((app.server as import('node:http').Server).requestTimeout, 2000);
  t.equal((app.server as import('node:http').Server).headersTimeout, 2000);
});
