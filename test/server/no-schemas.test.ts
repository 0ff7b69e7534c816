// Neither app loads fastify's schema compilers (ajv, fast-json-stringify): no route has a
// schema, and the memory at rest is what the injector is measured by (issue 15).
import { createRequire } from 'node:module';
import t from 'tap';
import { buildApp } from '../../src/server/webhook-app.js';
import { buildHealthApp } from '../../src/server/health-app.js';
import { createMetrics } from '../../src/server/metrics.js';
import { Readiness } from '../../src/server/readiness.js';
import { captureLogs, enabledNamespaces, FAKE_SNAPSHOT, LABEL_PATCH, outcome } from './support/harness.js';

const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((file) => /[\\/](ajv|@fastify[\\/](ajv-compiler|fast-json-stringify-compiler))[\\/]/.test(file));

t.test('building and serving both apps loads no schema compiler', async (t) => {
  const webhook = buildApp({ logger: captureLogs().logger, metrics: createMetrics(), snapshot: () => FAKE_SNAPSHOT, namespaces: enabledNamespaces(), evaluate: () => outcome({ inject: true, reason: 'namespace-enabled', patch: LABEL_PATCH }) });
  const health = buildHealthApp({ logger: captureLogs().logger, metrics: createMetrics(), readiness: new Readiness() });
  t.teardown(() => Promise.all([webhook.close(), health.close()]));
  t.equal((await health.inject('/healthz')).statusCode, 200);
  t.equal((await webhook.inject({ method: 'POST', url: '/inject', payload: '{}', headers: { 'content-type': 'application/json' } })).statusCode, 400);
  t.same(loaded(), [], 'no ajv / fast-json-stringify compiler in the module cache');
});

t.test('a route given a schema fails at startup with a message saying why', async (t) => {
  const health = buildHealthApp({ logger: captureLogs().logger, metrics: createMetrics(), readiness: new Readiness() });
  t.teardown(() => health.close());
  health.post('/with-schema', { schema: { body: { type: 'object' } } }, async () => 'x');
  await t.rejects(async () => { await health.ready(); }, /no validator compiler: the injector's routes take no JSON schema/);
});
