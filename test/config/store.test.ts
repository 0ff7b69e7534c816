import t from 'tap';
import { readConfigFiles, TEMPLATES_DIR } from '../support/config.js';
import { ConfigStore, contentRevision, type ReloadReport } from '../../src/config/store.js';
import { fakeCompile, textOf } from './support/fake-compile.js';

// The real compiler starts a worker thread, which loads TypeScript again under the test runner.
t.setTimeout(240_000);

function recordingStore(ownNamespace?: string): { store: ConfigStore; reports: ReloadReport[] } {
  const store = new ConfigStore({ compile: fakeCompile, ownNamespace });
  const reports: ReloadReport[] = [];
  store.onReload((r) => reports.push(r));
  return { store, reports };
}

t.test('holds nothing until a first version compiles', async (t) => {
  const { store, reports } = recordingStore();
  t.equal(store.current, undefined);
  const report = await store.update({ 'config.yaml': 'invalid: true' }, 'test');
  t.equal(report?.result, 'failure');
  t.equal(store.current, undefined, 'a failed first version leaves no config');
  t.equal(store.lastFailure, report);
  await store.update({ 'config.yaml': 'policy: enabled' }, 'test');
  t.equal(textOf(store.current), 'policy: enabled');
  t.equal(store.lastFailure, undefined, 'a success clears the last failure');
  t.same(reports.map((r) => r.result), ['failure', 'success']);
});

t.test('a good version replaces the old one and is reported with revision and origin', async (t) => {
  const { store, reports } = recordingStore();
  const first = { 'config.yaml': 'a: 1', 'sidecar.template.yaml': 'x' };
  const second = { 'config.yaml': 'a: 2', 'sidecar.template.yaml': 'x' };
  await store.update(first, 'dir /one');
  const before = store.current;
  const report = await store.update(second, 'dir /two');
  t.not(store.current, before, 'the snapshot object was swapped');
  t.equal(textOf(store.current), 'a: 2');
  t.same(report, {
    result: 'success',
    revision: contentRevision(second),
    previousRevision: contentRevision(first),
    origin: 'dir /two',
  });
  t.equal(reports.length, 2);
});

t.test('a bad version keeps the old one and reports the file and field at fault', async (t) => {
  const { store, reports } = recordingStore();
  await store.update({ 'config.yaml': 'good' }, 'origin-1');
  const good = store.current;
  const bad = { 'config.yaml': 'invalid policy' };
  const report = await store.update(bad, 'origin-2');
  t.equal(store.current, good, 'the previous snapshot stays in force');
  t.match(report, {
    result: 'failure',
    revision: contentRevision(bad),
    previousRevision: good?.revision,
    origin: 'origin-2',
    file: 'config.yaml',
    field: 'policy',
    error: /config\.yaml: policy: expected enabled or disabled/,
  });
  t.equal(reports.at(-1), report, 'listeners see the same report');
});

t.test('unchanged content is a no-op, failed or not', async (t) => {
  const { store, reports } = recordingStore();
  t.ok(await store.update({ 'config.yaml': 'good' }, 'x'));
  t.equal(await store.update({ 'config.yaml': 'good' }, 'y'), undefined, 'same content again');
  t.equal(await store.update({ 'config.yaml': 'good', 'README.md': 'ignored key' }, 'z'), undefined, 'keys the compiler ignores do not count');
  t.ok(await store.update({ 'config.yaml': 'invalid' }, 'x'));
  t.equal(await store.update({ 'config.yaml': 'invalid' }, 'x'), undefined, 'a rejected version is not retried or re-reported');
  t.equal(reports.length, 2);
});

t.test('returning to the version in force after a failure is reported as a success', async (t) => {
  const { store, reports } = recordingStore();
  await store.update({ 'config.yaml': 'good' }, 'x');
  await store.update({ 'config.yaml': 'invalid' }, 'x');
  const back = await store.update({ 'config.yaml': 'good' }, 'x');
  t.equal(back?.result, 'success');
  t.equal(back?.revision, back?.previousRevision);
  t.equal(store.lastFailure, undefined);
  t.equal(reports.length, 3);
});

t.test('any error thrown by the compiler rejects the version', async (t) => {
  const store = new ConfigStore({ compile: () => { throw new TypeError('compiler bug'); } });
  const report = await store.update({ 'config.yaml': 'x' }, 'x');
  t.match(report, { result: 'failure', error: 'compiler bug' });
  t.notOk(report && 'file' in report, 'no file for a non-ConfigError');
  t.equal(store.current, undefined);
});

t.test('the own namespace reaches the compiler; unsubscribe stops reports', async (t) => {
  const { store, reports } = recordingStore('injector-ns');
  const seen: ReloadReport[] = [];
  const off = store.onReload((r) => seen.push(r));
  await store.update({ 'config.yaml': 'one' }, 'x');
  off();
  await store.update({ 'config.yaml': 'two' }, 'x');
  t.equal((store.current?.values as { ownNamespace?: string }).ownNamespace, 'injector-ns');
  t.equal(seen.length, 1);
  t.equal(reports.length, 2);
});

t.test('with the real compiler (a worker thread) and the built-in templates', { timeout: 180_000 }, async (t) => {
  const store = new ConfigStore({ ownNamespace: 'sidecar-injector' });
  const files = readConfigFiles(TEMPLATES_DIR);
  const report = await store.update(files, `dir ${TEMPLATES_DIR}`);
  t.equal(report?.result, 'success', report?.error ?? 'loaded');
  t.equal(store.current?.revision, contentRevision(files), 'the store hashes content the way the compiler does');
  t.ok(store.current?.templates.has('sidecar'));
  t.ok(store.current?.ignoredNamespaces.has('sidecar-injector'), 'own namespace is ignored');

  const good = store.current;
  const broken = await store.update({ ...files, 'config.yaml': `${files['config.yaml']}\npolicy: sometimes\n` }, 'edit');
  t.equal(broken?.result, 'failure');
  t.equal(broken?.file, 'config.yaml');
  t.equal(store.current, good);

  const badTemplate = await store.update({ ...files, 'sidecar.template.yaml': 'containers: [' }, 'edit');
  t.equal(badTemplate?.result, 'failure');
  t.equal(badTemplate?.file, 'sidecar.template.yaml');
  t.equal(store.current, good);
});
