// Where serve's inputs come from: the Kubernetes access options, a standalone directory
// with flag namespaces, and the errors for unusable sources.
import t from 'tap';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubeAccessOptions } from '../../src/cluster/kube-access.js';
import { openSources } from '../../src/cli/serve-wiring.js';
import { createMetrics } from '../../src/server/metrics.js';
import { Readiness } from '../../src/server/readiness.js';
import { BUILTIN_CONFIG_DIR } from '../../src/config/load-dir.js';
import { parseServeArgs, type ServeSettings } from '../../src/cli/serve-flags.js';
import { captureLogs } from '../server/support/harness.js';

function settings(argv: string[], env: Record<string, string> = {}): ServeSettings {
  const parsed = parseServeArgs(argv, env);
  if (parsed.help) throw new Error('unexpected');
  return parsed.settings;
}

t.test('the settings\' choice of access maps onto loadKubeAccess', async (t) => {
  t.same(kubeAccessOptions({ mode: 'in-cluster', serviceHost: '10.0.0.1', servicePort: '443' }), { env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' } });
  t.same(kubeAccessOptions({ mode: 'kubeconfig', file: '/k', via: 'flag' }), { kubeconfig: '/k', env: {} });
  t.same(kubeAccessOptions({ mode: 'kubeconfig', file: '/k', via: 'env' }), { env: { KUBECONFIG: '/k' } });
});

t.test('standalone: the directory is loaded and counted, namespaces come from the flags', async (t) => {
  const logs = captureLogs();
  const metrics = createMetrics({ processMetrics: false });
  const readiness = new Readiness();
  readiness.satisfy('certificate');
  readiness.satisfy('listening');
  const sources = await openSources(settings(['--namespace-labels', 'sidecar-injection=enabled', '--namespace-annotations', 'sidecar-injector.io/log-level=debug']), logs.logger, metrics, readiness);
  t.teardown(() => sources.close());
  t.ok(sources.config.current()?.revision, 'a snapshot is in force');
  t.ok(readiness.isReady, 'config and namespaces are ready');
  t.same(await sources.namespaces.get('shop'), { name: 'shop', labels: { 'sidecar-injection': 'enabled' }, annotations: { 'sidecar-injector.io/log-level': 'debug' } });
  t.match(await metrics.registry.metrics(), 'sidecar_injector_config_reloads_total{result="success"} 1');
  t.match(logs.lines.find((l) => l.msg === 'configuration loaded'), { origin: `dir ${BUILTIN_CONFIG_DIR}` });
});

t.test('an invalid directory at start is an error naming it and the fault', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-sources-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(BUILTIN_CONFIG_DIR, dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.yaml'), 'policy: sometimes\n');
  const metrics = createMetrics({ processMetrics: false });
  await t.rejects(openSources(settings(['--config-dir', dir]), captureLogs().logger, metrics, new Readiness()), new RegExp(`configuration in ${dir} is invalid: config\\.yaml: policy: .*sometimes`));
  t.match(await metrics.registry.metrics(), 'sidecar_injector_config_reloads_total{result="failure"} 1');
  await t.rejects(openSources(settings(['--config-dir', path.join(dir, 'missing')]), captureLogs().logger, metrics, new Readiness()), /missing/);
});

t.test('in a pod without a service-account token: a clear error', async (t) => {
  const s = settings([], { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' });
  await t.rejects(openSources(s, captureLogs().logger, createMetrics({ processMetrics: false }), new Readiness()), /no service-account token is mounted.*--standalone/);
});

t.test('a kubeconfig that cannot be read: the error names the file', async (t) => {
  const s = settings(['--kubeconfig', '/nonexistent/kubeconfig']);
  await t.rejects(openSources(s, captureLogs().logger, createMetrics({ processMetrics: false }), new Readiness()), /\/nonexistent\/kubeconfig/);
});
