// --profile, --set and --kubernetes-version on inject and explain.
import t from 'tap';
import { parse } from 'yaml';
import { applySetFlags, availableProfiles, clusterFromFlag, parseSetPath } from '../../src/cli/config-flags.js';
import { FlagValueError } from '../../src/cli/namespace-flags.js';
import { cli } from './support/cli.js';

const POD = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  initContainers: [{name: migrate, image: migrate:1}]
  containers: [{name: app, image: app:1}]
`;
const ENABLED = ['--namespace-labels', 'sidecar-injection=enabled'];

function containersOf(yaml: string): { init: string[]; app: string[] } {
  const pod = parse(yaml);
  return { init: pod.spec.initContainers.map((c: { name: string }) => c.name), app: pod.spec.containers.map((c: { name: string }) => c.name) };
}

t.test('--set changes config values as YAML, in order', async (t) => {
  const debug = await cli(['inject', '-f', '-', ...ENABLED, '--set', 'values.proxy.logLevel=info', '--set', 'values.proxy.logLevel=debug'], POD);
  t.equal(debug.code, 0, debug.stderr);
  t.match(debug.stdout, /- --log-level\n\s+- debug/, 'the last --set wins');
  const first = await cli(['inject', '-f', '-', ...ENABLED, '--set', 'values.capture.initFirst=true'], POD);
  t.same(containersOf(first.stdout).init, ['proxy-init', 'migrate'], 'a boolean from YAML');
  const listed = await cli(['explain', '-f', '-', ...ENABLED, '-o', 'json', '--set', 'values.capture.excludeInboundPorts=[8080, 9090]'], POD);
  t.same(JSON.parse(listed.stdout)[0].settings.find((s: { name: string }) => s.name === 'excludeInboundPorts').value, [8080, 9090]);
  const bad = await cli(['inject', '-f', '-', ...ENABLED, '--set', 'values.proxy.logLevel=loud'], POD);
  t.equal(bad.code, 1, 'a value the config refuses: invalid configuration');
  t.match(bad.stderr, /values\.proxy\.logLevel.*"loud"/);
  const noEq = await cli(['inject', '-f', '-', '--set', 'values.proxy.logLevel'], POD);
  t.equal(noEq.code, 2);
  t.match(noEq.stderr, /--set: "values\.proxy\.logLevel" has no PATH=; expected PATH=VALUE/);
});

t.test('--set paths: dotted, with list indexes; hostile or impossible ones refused', async (t) => {
  t.same(parseSetPath('values.proxy.ports[0].name'), ['values', 'proxy', 'ports', 0, 'name']);
  t.throws(() => parseSetPath('values..x'), FlagValueError);
  t.throws(() => parseSetPath('values.__proto__.polluted'), { message: /"__proto__" cannot be a key/ });
  t.throws(() => parseSetPath('a[99999]'), { message: /index 99999 is over/ });
  const files = { 'config.yaml': 'values:\n  list: [a, b]\n  scalar: 1\n' };
  t.same(parse(applySetFlags(files, ['values.list[1]=c', 'values.list[2]=d', 'values.new.deep=x'])['config.yaml']).values,
    { list: ['a', 'c', 'd'], scalar: 1, new: { deep: 'x' } });
  t.throws(() => applySetFlags(files, ['values.list[5]=x']), { message: /has 2 items; index 5 would leave a gap/ });
  t.throws(() => applySetFlags(files, ['values.scalar.x=1']), { message: /values\.scalar is not a mapping/ });
  t.throws(() => applySetFlags(files, ['values.scalar[0]=1']), { message: /values\.scalar is not a list/ });
  t.throws(() => applySetFlags(files, ['values.x={a']), { message: /the value is not YAML/ });
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was touched');
});

t.test('--kubernetes-version decides native-sidecar auto; true on an old cluster is refused', async (t) => {
  t.same(clusterFromFlag('v1.33.2'), { kubernetesVersion: '1.33', oldestKubeletVersion: null });
  t.throws(() => clusterFromFlag('latest'), { message: /--kubernetes-version: "latest" is not a version; expected MAJOR\.MINOR/ });
  const old = await cli(['inject', '-f', '-', ...ENABLED, '--kubernetes-version', '1.20'], POD);
  t.same(containersOf(old.stdout), { init: ['migrate', 'proxy-init'], app: ['app', 'envoy'] }, '1.20: auto is off, capture last');
  const recent = await cli(['inject', '-f', '-', ...ENABLED, '--kubernetes-version', '1.33'], POD);
  t.same(containersOf(recent.stdout), { init: ['proxy-init', 'envoy', 'migrate'], app: ['app'] }, '1.33: native, capture and proxy first');
  const refused = await cli(['inject', '-f', '-', ...ENABLED, '--kubernetes-version', '1.20', '--set', 'values.proxy.nativeSidecar=true'], POD);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /config values\.proxy\.nativeSidecar: "true" cannot be honoured: native sidecars need Kubernetes 1\.28 or later and the cluster is 1\.20/);
  const usage = await cli(['explain', '-f', '-', '--kubernetes-version', 'one.two'], POD);
  t.equal(usage.code, 2);
});

t.test('--profile selects a built-in configuration; an unknown one lists the available', async (t) => {
  t.ok(availableProfiles().includes('default'));
  const dflt = await cli(['inject', '-f', '-', ...ENABLED, '--profile', 'default'], POD);
  t.equal(dflt.code, 0, dflt.stderr);
  const unknown = await cli(['inject', '-f', '-', '--profile', 'nope'], POD);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /--profile: no profile "nope"; available: default/);
  const both = await cli(['inject', '-f', '-', '--profile', 'default', '--config-dir', '/tmp'], POD);
  t.equal(both.code, 2);
  t.match(both.stderr, /--config-dir and --profile both given/);
});
