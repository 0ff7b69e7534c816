import { mkdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { watchConfigDir, type DirSourceOptions } from '../../src/config/dir-source.js';
import { loadConfigDir } from '../../src/config/load-dir.js';
import { ConfigStore, type ReloadReport } from '../../src/config/store.js';
import { fakeCompile, textOf, type FakeSnapshot } from './support/fake-compile.js';
import { ProjectedVolume } from '../support/volume.js';
import { recordingLog, tempDir, waitFor } from './support/helpers.js';

const HOUR = 3_600_000;

function storeWithReports(): { store: ConfigStore; reports: ReloadReport[] } {
  const store = new ConfigStore({ compile: fakeCompile });
  const reports: ReloadReport[] = [];
  store.onReload((r) => reports.push(r));
  return { store, reports };
}

async function watch(t: Test, dir: string, store: ConfigStore, options: DirSourceOptions) {
  const handle = await watchConfigDir(dir, store, { debounceMs: 20, ...options });
  t.teardown(() => handle.close());
  return handle;
}

function templatesOf(store: ConfigStore): string[] | undefined {
  return (store.current as FakeSnapshot | undefined)?.values.templates;
}

t.test('plain files: edits, new templates and bad versions, through fs.watch alone', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'config.yaml'), 'v1');
  await writeFile(join(dir, 'sidecar.template.yaml'), 'containers: []');
  const { store, reports } = storeWithReports();
  await watch(t, dir, store, { pollIntervalMs: HOUR });
  t.equal(textOf(store.current), 'v1', 'the first load is done when watchConfigDir resolves');
  t.match(reports[0], { result: 'success', origin: `dir ${dir}` });

  await writeFile(join(dir, 'config.yaml'), 'v2');
  await waitFor('v2 loaded', () => textOf(store.current) === 'v2');

  await writeFile(join(dir, 'extra.template.yaml'), 'containers: []');
  await waitFor('new template seen', () => templatesOf(store)?.includes('extra.template.yaml') === true);

  const good = store.current;
  await writeFile(join(dir, 'config.yaml'), 'invalid v3');
  await waitFor('failure reported', () => reports.at(-1)?.result === 'failure');
  t.equal(store.current, good, 'the last good version stays in force');
  t.match(reports.at(-1), { file: 'config.yaml', field: 'policy' });

  // An editor's save: write a temp file, rename it over the old one.
  await writeFile(join(dir, '.config.yaml.swp'), 'v4');
  await rename(join(dir, '.config.yaml.swp'), join(dir, 'config.yaml'));
  await waitFor('v4 loaded', () => textOf(store.current) === 'v4');
  t.equal(reports.filter((r) => r.result === 'failure').length, 1, 'the bad version was reported once');
});

t.test('a ConfigMap volume: the kubelet ..data swap, through fs.watch alone', async (t) => {
  const dir = await tempDir(t);
  const volume = new ProjectedVolume(dir);
  volume.swap({ 'config.yaml': 'v1', 'sidecar.template.yaml': 's', 'old.template.yaml': 'o' });
  const { store, reports } = storeWithReports();
  await watch(t, dir, store, { pollIntervalMs: HOUR });
  t.equal(textOf(store.current), 'v1');
  t.same(templatesOf(store), ['old.template.yaml', 'sidecar.template.yaml'], 'visible symlinks are followed, ..data itself is not a file');

  volume.swap({ 'config.yaml': 'v2', 'sidecar.template.yaml': 's' });
  await waitFor('v2 loaded', () => textOf(store.current) === 'v2');
  t.same(templatesOf(store), ['sidecar.template.yaml'], 'a key removed from the ConfigMap is gone');

  const good = store.current;
  volume.swap({ 'config.yaml': 'invalid', 'sidecar.template.yaml': 's' });
  await waitFor('failure reported', () => reports.at(-1)?.result === 'failure');
  t.equal(store.current, good);

  volume.swap({ 'config.yaml': 'v3', 'sidecar.template.yaml': 's' });
  await waitFor('v3 loaded', () => textOf(store.current) === 'v3');
  t.same(reports.map((r) => r.result), ['success', 'success', 'failure', 'success']);
});

t.test('polling alone picks up changes (fs.watch off)', async (t) => {
  const dir = await tempDir(t);
  const volume = new ProjectedVolume(dir);
  volume.swap({ 'config.yaml': 'v1' });
  const { store } = storeWithReports();
  await watch(t, dir, store, { pollIntervalMs: 30, useFsWatch: false });
  volume.swap({ 'config.yaml': 'v2' });
  await waitFor('v2 loaded by polling', () => textOf(store.current) === 'v2');
  t.pass('polled');
});

t.test('an unreadable file is reported once (a failure, counted) and changes nothing until fixed', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'config.yaml'), 'v1');
  const { store, reports } = storeWithReports();
  await watch(t, dir, store, { pollIntervalMs: 30 });
  await symlink(join(dir, 'nowhere'), join(dir, 'dangling.template.yaml'));
  await waitFor('read failure reported', () => reports.some((r) => r.result === 'failure'));
  const failure = reports.find((r) => r.result === 'failure');
  t.match(failure, { revision: 'unreadable', previousRevision: reports[0].revision, error: /dangling\.template\.yaml/ });
  // Several more polls meet the same failure without reporting it again.
  const later = Date.now() + 300;
  await waitFor('ten poll periods', () => Date.now() > later);
  t.equal(reports.filter((r) => r.result === 'failure').length, 1, 'one report per distinct error');
  t.equal(textOf(store.current), 'v1');
  await unlink(join(dir, 'dangling.template.yaml'));
  await writeFile(join(dir, 'config.yaml'), 'v2');
  await waitFor('v2 loaded after the fix', () => textOf(store.current) === 'v2');
  t.equal(reports.length, 3);
});

t.test('the folder vanishing and coming back', async (t) => {
  const parent = await tempDir(t);
  const dir = join(parent, 'config');
  await mkdir(dir);
  await writeFile(join(dir, 'config.yaml'), 'v1');
  const { store, reports } = storeWithReports();
  await watch(t, dir, store, { pollIntervalMs: 30 });
  await rm(dir, { recursive: true });
  await waitFor('missing folder reported', () => reports.some((r) => /does not exist/.test(String(r.error))));
  t.equal(textOf(store.current), 'v1', 'kept while the folder is gone');
  await mkdir(dir);
  await writeFile(join(dir, 'config.yaml'), 'v2');
  await waitFor('v2 loaded after the folder returned', () => textOf(store.current) === 'v2');
});

t.test('after close() nothing more reaches the store', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'config.yaml'), 'v1');
  const closed = storeWithReports();
  const handle = await watchConfigDir(dir, closed.store, { pollIntervalMs: 20, debounceMs: 5 });
  handle.close();
  const witness = storeWithReports();
  await watch(t, dir, witness.store, { pollIntervalMs: 20, debounceMs: 5 });
  await writeFile(join(dir, 'config.yaml'), 'v2');
  // The open watcher sees the change; let it pass several poll periods after that.
  await waitFor('witness sees v2', () => textOf(witness.store.current) === 'v2');
  const polls = Date.now() + 200;
  await waitFor('several poll periods', () => Date.now() > polls);
  t.equal(textOf(closed.store.current), 'v1');
  t.equal(closed.reports.length, 1);
});

t.test('a folder that cannot be read is a clear error naming it', async (t) => {
  const dir = await tempDir(t);
  const store = new ConfigStore({ compile: fakeCompile });
  await t.rejects(watchConfigDir(join(dir, 'missing'), store), {
    message: new RegExp(`cannot read config directory ${join(dir, 'missing')}: it does not exist`),
  });
  await writeFile(join(dir, 'file'), 'x');
  await t.rejects(watchConfigDir(join(dir, 'file'), store), { message: /it is not a directory/ });
  t.equal(store.current, undefined);
});

t.test('loadConfigDir reads config.yaml and *.template.yaml only', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'config.yaml'), 'c');
  await writeFile(join(dir, 'a.template.yaml'), 'a');
  await writeFile(join(dir, 'README.md'), 'r');
  await writeFile(join(dir, 'kustomization.yaml'), 'k');
  await writeFile(join(dir, '.hidden.template.yaml'), 'h');
  t.same(await loadConfigDir(dir), { 'a.template.yaml': 'a', 'config.yaml': 'c' });
});

t.test('a reload listener that throws is logged and the watch goes on', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'config.yaml'), 'v1');
  const { store } = storeWithReports();
  const log = recordingLog();
  await watch(t, dir, store, { pollIntervalMs: 30, log });
  const off = store.onReload(() => {
    throw new Error('listener bug');
  });
  await writeFile(join(dir, 'config.yaml'), 'v2');
  await waitFor('error logged', () => log.lines.some((l) => l.level === 'error' && l.fields.err === 'listener bug'));
  t.equal(textOf(store.current), 'v2', 'the store swapped before the listener ran');
  off();
  await writeFile(join(dir, 'config.yaml'), 'v3');
  await waitFor('v3 loaded', () => textOf(store.current) === 'v3');
});

t.test('a dangling ..data link is reported as a failure and keeps the configuration', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, '..v1'));
  await writeFile(join(dir, '..v1', 'config.yaml'), 'v1');
  await symlink('..v1', join(dir, '..data'));
  await symlink(join('..data', 'config.yaml'), join(dir, 'config.yaml'));
  const { store, reports } = storeWithReports();
  await watch(t, dir, store, { pollIntervalMs: 30 });
  t.equal(textOf(store.current), 'v1');
  await rm(join(dir, '..v1'), { recursive: true });
  await waitFor('the broken link reported', () => reports.some((r) => r.result === 'failure'));
  t.match(reports.find((r) => r.result === 'failure')?.error, /the \.\.data link in .* points to \.\.v1, but it does not exist/);
  t.equal(textOf(store.current), 'v1', 'kept');
});
