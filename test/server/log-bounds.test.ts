// The admission log line is bounded whatever the client sends: a 1 MiB metadata.name or
// uid is cut to MAX_LOGGED_NAME characters with a note of how much was left out.
import t from 'tap';
import { boundForLog, MAX_LOGGED_NAME } from '../../src/server/inject-route.js';
import { createMetrics } from '../../src/server/metrics.js';
import { buildApp } from '../../src/server/webhook-app.js';
import { captureLogs, enabledNamespaces, FAKE_SNAPSHOT, fixture, outcome } from './support/harness.js';

t.test('boundForLog keeps names up to the bound and cuts longer ones', async (t) => {
  t.equal(boundForLog('web-0'), 'web-0');
  t.equal(boundForLog(undefined), undefined);
  t.equal(boundForLog('x'.repeat(MAX_LOGGED_NAME)), 'x'.repeat(MAX_LOGGED_NAME), 'the longest Kubernetes name is kept whole');
  t.equal(boundForLog('x'.repeat(MAX_LOGGED_NAME + 10)), `${'x'.repeat(MAX_LOGGED_NAME)}...(10 more characters)`);
});

t.test('a 1 MiB pod name and uid make a short log line', async (t) => {
  const logs = captureLogs();
  const app = buildApp({
    logger: logs.logger, metrics: createMetrics({ processMetrics: false }),
    snapshot: () => FAKE_SNAPSHOT, namespaces: enabledNamespaces(), evaluate: () => outcome({}),
  });
  t.teardown(() => app.close());
  const review = structuredClone(fixture('01-').review);
  const huge = 'a'.repeat(1024 * 1024);
  review.request.uid = huge;
  review.request.object.metadata.name = huge;
  const res = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(review) });
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  const line = logs.text().split('\n').find((l) => l.includes('"msg":"admission"'))!;
  t.ok(line.length < 4096, `the admission log line is ${line.length} characters`);
  t.match(JSON.parse(line), { uid: /\.\.\.\(1048323 more characters\)$/, pod: /\.\.\.\(1048323 more characters\)$/ });
});
