// The ConfigMap source against a scripted API (the real apiserver is in test/cluster/).
import t, { type Test } from 'tap';
import { watchConfigMap } from '../../src/config/configmap-source.js';
import { ConfigStore, type ReloadReport } from '../../src/config/store.js';
import { FakeClient, obj } from '../cluster/support/fake-client.js';
import { fakeCompile, textOf } from './support/fake-compile.js';
import { recordingLog, waitFor } from './support/helpers.js';

type CM = ReturnType<typeof obj>;
const REF = { namespace: 'injector', name: 'sidecar-injector' };

function cm(rv: string, config: string): CM {
  return obj('sidecar-injector', rv, { data: { 'config.yaml': config, 'sidecar.template.yaml': 's' } });
}

function setup(t: Test, client: FakeClient<CM>) {
  const store = new ConfigStore({ compile: fakeCompile });
  const reports: ReloadReport[] = [];
  store.onReload((r) => reports.push(r));
  const log = recordingLog();
  const source = watchConfigMap(undefined, REF, store, { client, log, initialBackoffMs: 10 });
  t.teardown(() => source.close());
  return { store, reports, log, source };
}

t.test('loads the ConfigMap, then each new version', async (t) => {
  const client = new FakeClient<CM>({ items: [cm('10', 'v1')], resourceVersion: '10' });
  const { store, reports, source } = setup(t, client);
  await source.firstLoad;
  t.equal(textOf(store.current), 'v1');
  t.match(reports[0], { result: 'success', origin: 'configmap injector/sidecar-injector@10' });

  await waitFor('watch', () => client.watches.length === 1);
  client.lastWatch!.emit('MODIFIED', cm('11', 'v2'));
  await waitFor('v2 compiled', () => textOf(store.current) === 'v2');

  const good = store.current;
  client.lastWatch!.emit('MODIFIED', cm('12', 'invalid'));
  await waitFor('the bad version tried', () => reports.length === 3);
  t.equal(store.current, good, 'a bad version leaves the good one in force');
  t.match(reports.at(-1), { result: 'failure', origin: 'configmap injector/sidecar-injector@12', file: 'config.yaml' });

  client.lastWatch!.emit('MODIFIED', cm('13', 'invalid')); // e.g. a label added: new resourceVersion, same data
  client.lastWatch!.emit('MODIFIED', cm('14', 'v3'));
  await waitFor('v3 compiled', () => textOf(store.current) === 'v3');
  t.equal(reports.length, 4, 'a metadata-only change (same data) is not a reload');
});

t.test('a deleted ConfigMap keeps the last good config and says so; re-creating it loads again', async (t) => {
  const client = new FakeClient<CM>({ items: [cm('10', 'v1')], resourceVersion: '10' });
  const { store, log } = setup(t, client);
  await waitFor('watch', () => client.watches.length === 1);
  client.lastWatch!.emit('DELETED', cm('20', 'v1'));
  t.equal(textOf(store.current), 'v1');
  t.match(log.lines.find((l) => l.level === 'warn'), { message: /deleted; keeping the last good configuration/, fields: { configmap: 'injector/sidecar-injector', revision: store.current?.revision } });
  client.lastWatch!.emit('ADDED', cm('21', 'v2'));
  await waitFor('v2 compiled', () => textOf(store.current) === 'v2');
});

t.test('deleted while disconnected: the relist finds nothing and keeps the config', async (t) => {
  const client = new FakeClient<CM>({ items: [cm('10', 'v1')], resourceVersion: '10' });
  const { store, log } = setup(t, client);
  await waitFor('watch', () => client.watches.length === 1);
  client.defaultList = { items: [], resourceVersion: '30' };
  client.lastWatch!.emit('ERROR', { code: 410, message: 'expired' });
  await waitFor('relist logged', () => log.lines.some((l) => /deleted/.test(l.message)));
  t.equal(textOf(store.current), 'v1');
});

t.test('missing at start: logged, and the first load waits for it to appear', async (t) => {
  const client = new FakeClient<CM>({ items: [], resourceVersion: '5' });
  const { store, log, source } = setup(t, client);
  let loaded = false;
  void source.firstLoad.then(() => {
    loaded = true;
  });
  await waitFor('watch', () => client.watches.length === 1);
  t.match(log.lines.find((l) => l.level === 'warn'), { message: /not found; waiting for it to be created/ });
  t.equal(loaded, false);
  t.equal(store.current, undefined);
  client.lastWatch!.emit('ADDED', cm('6', 'v1'));
  await source.firstLoad;
  t.equal(textOf(store.current), 'v1');
});

t.test('a first version that does not compile still completes the first load', async (t) => {
  const client = new FakeClient<CM>({ items: [cm('10', 'invalid')], resourceVersion: '10' });
  const { store, source } = setup(t, client);
  await source.firstLoad;
  t.equal(store.current, undefined);
  t.match(store.lastFailure, { result: 'failure', file: 'config.yaml' });
});

t.test('without a KubeConfig or client it refuses clearly', async (t) => {
  t.throws(() => watchConfigMap(undefined, REF, new ConfigStore({ compile: fakeCompile })), { message: /configmap injector\/sidecar-injector needs Kubernetes access/ });
});
