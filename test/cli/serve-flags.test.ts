// serve's flags and environment: defaults, modes, and errors that name the flag and what it accepts.
import t, { type Test } from 'tap';
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { BUILTIN_CONFIG_DIR } from '../../src/config/load-dir.js';
import { UsageError } from '../../src/cli/command.js';
import { parseByteSize, parseDuration } from '../../src/cli/flag-values.js';
import { parseServeArgs, SERVE_HELP, type ServeSettings } from '../../src/cli/serve-flags.js';

function settings(argv: string[], env: Record<string, string> = {}, saNamespace?: string): ServeSettings {
  const parsed = parseServeArgs(argv, env, saNamespace);
  if (parsed.help) throw new Error('unexpected help');
  return parsed.settings;
}

function usageError(t: Test, argv: string[], pattern: RegExp | string, env: Record<string, string> = {}) {
  let caught: unknown;
  try { parseServeArgs(argv, env); } catch (err) { caught = err; }
  t.ok(caught instanceof UsageError, `${argv.join(' ')}: a usage error`);
  t.equal((caught as UsageError).exitCode, 2);
  t.match((caught as Error).message, pattern, `${argv.join(' ')}: message`);
}

t.test('defaults: standalone, built-in templates, 9443/8080, 8 MiB, 25 s', async (t) => {
  const s = settings([]);
  t.match(s, {
    port: 9443, metricsPort: 8080, address: '0.0.0.0', kube: { mode: 'none' },
    config: { kind: 'dir', dir: BUILTIN_CONFIG_DIR }, namespace: 'sidecar-injector', serviceName: 'sidecar-injector',
    namespaceLabels: {}, namespaceAnnotations: {}, tls: undefined, caOut: path.join(os.tmpdir(), 'sidecar-injector-ca.crt'),
    logLevel: 'info', maxBodyBytes: 3 * 1024 * 1024, shutdownTimeoutMs: 25_000, shutdownDelayMs: 3000, certPollIntervalMs: 10_000,
  });
  t.ok(existsSync(path.join(BUILTIN_CONFIG_DIR, 'config.yaml')), 'the built-in dir is the repository templates/, whatever the cwd');
  t.ok(Object.isFrozen(s));
});

t.test('every flag is read', async (t) => {
  const s = settings([
    '--port', '0', '--metrics-port', '9090', '--address', '127.0.0.1', '--config-dir', 'some/dir', '--standalone',
    '--namespace', 'mesh', '--service-name', 'injector', '--namespace-labels', 'sidecar-injection=enabled,team=a',
    '--namespace-annotations', 'sidecar-injector.io/templates=sidecar,extra', '--tls-cert-file', 'c.pem', '--tls-key-file', 'k.pem',
    '--ca-out', 'out/ca.crt', '--cert-poll-interval', '500ms', '--log-level', 'debug', '--max-body-bytes', '1Mi',
    '--shutdown-timeout', '1m', '--shutdown-delay', '5',
  ]);
  t.match(s, {
    port: 0, metricsPort: 9090, address: '127.0.0.1', kube: { mode: 'none' }, config: { kind: 'dir', dir: path.resolve('some/dir') },
    namespace: 'mesh', serviceName: 'injector',
    namespaceLabels: { 'sidecar-injection': 'enabled', team: 'a' },
    namespaceAnnotations: { 'sidecar-injector.io/templates': 'sidecar,extra' },
    tls: { certFile: path.resolve('c.pem'), keyFile: path.resolve('k.pem') }, caOut: path.resolve('out/ca.crt'),
    certPollIntervalMs: 500, logLevel: 'debug', maxBodyBytes: 1024 * 1024, shutdownTimeoutMs: 60_000, shutdownDelayMs: 5000,
  });
});

t.test('Kubernetes access: in a pod, then --kubeconfig, then $KUBECONFIG, else standalone', async (t) => {
  const inPod = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
  t.same(settings([], inPod).kube, { mode: 'in-cluster', serviceHost: '10.0.0.1', servicePort: '443' });
  t.same(settings([], inPod).config, { kind: 'configmap', namespace: 'sidecar-injector', name: 'sidecar-injector' }, 'ConfigMap by default with access');
  t.equal(settings([], inPod, 'mesh-system').namespace, 'mesh-system', 'the service-account namespace in a pod');
  t.equal(settings([], { ...inPod, POD_NAMESPACE: 'from-env' }, 'mesh-system').namespace, 'from-env', 'POD_NAMESPACE wins');
  t.equal(settings(['--namespace', 'flag'], { ...inPod, POD_NAMESPACE: 'from-env' }).namespace, 'flag', 'the flag wins');
  t.equal(settings([], {}, 'mesh-system').namespace, 'sidecar-injector', 'the SA namespace only counts in a pod');
  t.same(settings(['--kubeconfig', '/k'], inPod).kube, { mode: 'kubeconfig', file: '/k', via: 'flag' });
  t.same(settings([], { KUBECONFIG: '/env/k' }).kube, { mode: 'kubeconfig', file: '/env/k', via: 'env' });
  t.same(settings([], { KUBECONFIG: '' }).kube, { mode: 'none' });
  t.same(settings(['--standalone'], { ...inPod, KUBECONFIG: '/env/k' }).kube, { mode: 'none' });
  t.same(settings(['--configmap', 'other/cm'], { KUBECONFIG: '/k' }).config, { kind: 'configmap', namespace: 'other', name: 'cm' });
  t.same(settings(['--configmap', 'cm', '--namespace', 'mesh'], { KUBECONFIG: '/k' }).config, { kind: 'configmap', namespace: 'mesh', name: 'cm' });
  t.same(settings(['--config-dir', '/etc/x'], inPod).config, { kind: 'dir', dir: '/etc/x' }, 'a directory can be used in a pod too');
  t.equal(settings([], { LOG_LEVEL: 'warn' }).logLevel, 'warn');
});

t.test('errors name the flag and what it accepts', async (t) => {
  usageError(t, ['--port', 'abc'], /--port: "abc".*0-65535/);
  usageError(t, ['--port', '70000'], /--port.*0-65535/);
  usageError(t, ['--metrics-port', '-1'], /--metrics-port|argument/);
  usageError(t, ['--port', '9000', '--metrics-port', '9000'], /--port and --metrics-port/);
  usageError(t, ['--address', ''], /--address/);
  usageError(t, ['--bogus'], /bogus.*--help/);
  usageError(t, ['extra'], /extra|positional/i);
  usageError(t, ['--log-level', 'loud'], /--log-level: "loud".*trace, debug, info/);
  usageError(t, ['--max-body-bytes', '10'], /--max-body-bytes.*1024 and 64Mi/);
  usageError(t, ['--max-body-bytes', '1Gi'], /--max-body-bytes/);
  usageError(t, ['--shutdown-timeout', 'soon'], /--shutdown-timeout: "soon".*ms, s or m/);
  usageError(t, ['--shutdown-delay', '30s'], /--shutdown-delay must be shorter than --shutdown-timeout/);
  usageError(t, ['--tls-cert-file', 'c.pem'], /--tls-key-file is missing/);
  usageError(t, ['--tls-key-file', 'k.pem'], /--tls-cert-file is missing/);
  usageError(t, ['--config-dir', 'a', '--configmap', 'b'], /exclude each other/);
  usageError(t, ['--configmap', 'cm'], /--configmap needs Kubernetes access/);
  usageError(t, ['--configmap', 'a/b/c'], /NAME or NAMESPACE\/NAME/, { KUBECONFIG: '/k' });
  usageError(t, ['--configmap', 'Bad_Name'], /not a valid ConfigMap name/, { KUBECONFIG: '/k' });
  usageError(t, ['--namespace', 'Not Valid'], /--namespace: "Not Valid".*DNS label/);
  usageError(t, ['--service-name', 'x.y'], /--service-name/);
  usageError(t, ['--namespace-labels', 'novalue'], /--namespace-labels: "novalue" has no "="/);
  usageError(t, ['--namespace-labels', '=x'], /--namespace-labels: "" is not a valid key/);
  usageError(t, ['--namespace-labels', 'a=has space'], /--namespace-labels: the value of "a" .* not a valid label value/);
  usageError(t, ['--namespace-labels', 'a=b'], /only applies standalone/, { KUBECONFIG: '/k' });
  usageError(t, ['--kubeconfig', '/k', '--standalone'], /exclude each other/);
});

t.test('--help', async (t) => {
  t.same(parseServeArgs(['--help'], {}), { help: true });
  t.same(parseServeArgs(['-h', '--port', 'bad'], {}), { help: true }, 'help wins over other flags');
  for (const flag of ['--port', '--metrics-port', '--address', '--config-dir', '--configmap', '--kubeconfig', '--standalone',
    '--namespace', '--service-name', '--namespace-labels', '--namespace-annotations', '--tls-cert-file', '--tls-key-file',
    '--ca-out', '--cert-poll-interval', '--log-level', '--max-body-bytes', '--shutdown-timeout', '--shutdown-delay']) {
    t.match(SERVE_HELP, flag, `help lists ${flag}`);
  }
});

t.test('value parsers', async (t) => {
  t.same(settings(['--standalone', '--namespace-annotations', 'a=1,b=,example.com/c=x=y']).namespaceAnnotations, { a: '1', b: '', 'example.com/c': 'x=y' });
  t.same(settings(['--namespace-annotations', 't=a,b,c,u=d']).namespaceAnnotations, { t: 'a,b,c', u: 'd' }, 'a part without "=" continues the value');
  t.equal(parseDuration('--d', '250ms', 0, 1000), 250);
  t.equal(parseDuration('--d', '1.5s', 0, 10_000), 1500);
  t.equal(parseDuration('--d', '2', 0, 10_000), 2000);
  t.equal(parseByteSize('--b', '4096'), 4096);
  t.equal(parseByteSize('--b', '16Ki'), 16384);
  t.equal(parseByteSize('--b', '8MiB'), 8 * 1024 * 1024);
});

t.test('--profile and --kubernetes-version', async (t) => {
  t.match(settings(['--profile', 'default']), { config: { kind: 'dir', dir: BUILTIN_CONFIG_DIR } });
  t.equal(settings(['--kubernetes-version', 'v1.29.3']).kubernetesVersion, '1.29');
  t.equal(settings([]).kubernetesVersion, undefined, 'read from the cluster by default');
  usageError(t, ['--profile', 'nope'], /--profile: no profile "nope"; available: default/);
  usageError(t, ['--profile', 'default', '--config-dir', 'x'], /--profile excludes --config-dir and --configmap/);
  usageError(t, ['--kubernetes-version', 'new'], /--kubernetes-version: "new" is not a version/);
  for (const flag of ['--profile', '--kubernetes-version']) t.match(SERVE_HELP, flag, `help lists ${flag}`);
});
