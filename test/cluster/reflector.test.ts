import t, { type Test } from 'tap';
import { backoffDelay, isGone, Reflector, type ReflectorOptions } from '../../src/cluster/reflector.js';
import { recordingLog, waitFor } from '../config/support/helpers.js';
import { FakeClient, obj } from './support/fake-client.js';

type Obj = ReturnType<typeof obj>;

/** A reflector projecting objects to their names, recording what the handlers saw. */
function start(t: Test, client: FakeClient<Obj>, options: ReflectorOptions = {}) {
  const seen: string[] = [];
  const log = recordingLog();
  const reflector = new Reflector<Obj, string>(client, (o) => o.metadata.name, {
    replace: (items) => seen.push(`replace ${items.join(',')}`),
    upsert: (name) => seen.push(`upsert ${name}`),
    remove: (name) => seen.push(`remove ${name}`),
  }, { log, initialBackoffMs: 10, maxBackoffMs: 40, minHealthyWatchMs: 60_000, random: () => 1, ...options });
  reflector.start();
  t.teardown(() => reflector.stop());
  return { reflector, seen, log };
}

const warnings = (log: ReturnType<typeof recordingLog>) => log.lines.filter((l) => l.level === 'warn');

t.test('lists page by page, then watches from the list resourceVersion', async (t) => {
  const client = new FakeClient<Obj>();
  client.listAnswers.push(
    { items: [obj('a', '5'), obj('b', '6')], resourceVersion: '10', continueToken: 'page2' },
    { items: [obj('c', '7')], resourceVersion: '11' },
  );
  const { reflector, seen } = start(t, client, { pageSize: 2, watchTimeoutSeconds: 123 });
  t.equal(reflector.hasSynced, false);
  await reflector.synced;
  t.equal(reflector.hasSynced, true);
  t.same(client.listCalls, [{ limit: 2, continueToken: undefined }, { limit: 2, continueToken: 'page2' }]);
  t.same(seen, ['replace a,b,c'], 'one replace with every page');
  await waitFor('watch opened', () => client.watches.length === 1);
  t.same(client.lastWatch?.query, { resourceVersion: '11', timeoutSeconds: 123 });
});

t.test('events reach the handlers; a clean close re-watches from the last resourceVersion', async (t) => {
  const client = new FakeClient<Obj>({ items: [], resourceVersion: '1' });
  const { seen, log } = start(t, client);
  await waitFor('watch opened', () => client.watches.length === 1);
  const w = client.lastWatch!;
  w.emit('ADDED', obj('a', '2'));
  w.emit('MODIFIED', obj('a', '3'));
  w.emit('BOOKMARK', obj('', '4'));
  w.emit('DELETED', obj('a', '5'));
  w.emit('BOOKMARK', obj('', '6'));
  t.same(seen, ['replace ', 'upsert a', 'upsert a', 'remove a']);
  w.end(null);
  await waitFor('second watch', () => client.watches.length === 2);
  t.equal(client.lastWatch?.query.resourceVersion, '6', 'bookmarks advance the resourceVersion too');
  t.equal(client.listCalls.length, 1, 'no relist after a clean close');
  t.equal(warnings(log).length, 0);
});

t.test('410 Gone in a watch: list again at once, then watch from the new list', async (t) => {
  const client = new FakeClient<Obj>({ items: [obj('a', '1')], resourceVersion: '1' });
  const { seen, log } = start(t, client);
  await waitFor('watch opened', () => client.watches.length === 1);
  client.defaultList = { items: [obj('b', '90')], resourceVersion: '100' };
  client.lastWatch!.emit('ADDED', obj('x', '2'));
  client.lastWatch!.emit('ERROR', { kind: 'Status', code: 410, message: 'too old resource version: 2 (50)' });
  t.ok(client.watches[0].aborted, 'the expired stream is dropped');
  await waitFor('second watch', () => client.watches.length === 2);
  t.equal(client.listCalls.length, 2);
  t.equal(client.lastWatch?.query.resourceVersion, '100');
  t.same(seen, ['replace a', 'upsert x', 'replace b']);
  t.equal(warnings(log).length, 0, 'an expiry is not a failure');
  t.ok(log.lines.some((l) => /410 Gone/.test(l.message)));
});

t.test('a watch refused with HTTP 410 and a list whose continue token expired also relist', async (t) => {
  const client = new FakeClient<Obj>({ items: [], resourceVersion: '7' });
  client.listAnswers.push(
    { items: [obj('a', '1')], resourceVersion: '5', continueToken: 'tok' },
    Object.assign(new Error('continue token expired'), { code: 410 }),
  );
  client.watchFailures.push(Object.assign(new Error('Gone'), { statusCode: 410 }));
  const { seen, reflector } = start(t, client);
  await reflector.synced;
  t.same(seen, ['replace '], 'the partial list was not delivered');
  await waitFor('a watch that stays open', () => client.watches.length === 2);
  t.equal(client.listCalls.length, 4, 'page 1, expired page 2, full list, list after the refused watch');
});

t.test('repeated failures back off exponentially up to the cap, then recover', async (t) => {
  const client = new FakeClient<Obj>({ items: [], resourceVersion: '1' });
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
  client.watchFailures.push(refused(), refused(), refused(), refused());
  const { log } = start(t, client);
  await waitFor('fifth watch', () => client.watches.length === 5);
  t.same(warnings(log).map((l) => l.fields.retryInMs), [10, 20, 40, 40]);
  t.match(warnings(log)[0].fields, { err: /ECONNREFUSED/, resource: 'fake objects' });
  client.lastWatch!.emit('ADDED', obj('a', '2'));
  client.lastWatch!.end(null);
  client.watchFailures.push(refused());
  await waitFor('seventh watch', () => client.watches.length === 7);
  t.equal(warnings(log).at(-1)?.fields.retryInMs, 10, 'a watch that delivered events resets the backoff');
  t.equal(client.listCalls.length, 1, 'transport failures keep the resourceVersion: no relist');
});

t.test('a failing list is retried with backoff; synced waits for a good one', async (t) => {
  const client = new FakeClient<Obj>({ items: [obj('a', '1')], resourceVersion: '1' });
  client.listAnswers.push(new Error('HTTP 403: forbidden'), new Error('HTTP 403: forbidden'));
  const { reflector, log } = start(t, client);
  await reflector.synced;
  t.equal(client.listCalls.length, 3);
  t.same(warnings(log).map((l) => l.fields.retryInMs), [10, 20]);
});

t.test('a watch that closes at once without events counts as a failure (no hot loop)', async (t) => {
  const client = new FakeClient<Obj>();
  const { log } = start(t, client);
  await waitFor('first watch', () => client.watches.length === 1);
  client.lastWatch!.end(null);
  await waitFor('second watch', () => client.watches.length === 2);
  t.match(warnings(log)[0], { message: /retrying/, fields: { err: /closed right after it opened/, retryInMs: 10 } });
});

t.test('an ERROR event other than 410 relists, logged as a failure', async (t) => {
  const client = new FakeClient<Obj>();
  const { log } = start(t, client);
  await waitFor('first watch', () => client.watches.length === 1);
  client.lastWatch!.emit('ERROR', { kind: 'Status', code: 504, message: 'Too large resource version' });
  await waitFor('second watch', () => client.watches.length === 2);
  t.equal(client.listCalls.length, 2);
  t.match(warnings(log)[0].fields.err, /Too large resource version/);
});

t.test('a watch still open long after its server timeout is dropped and renewed', async (t) => {
  const client = new FakeClient<Obj>();
  start(t, client, { watchTimeoutSeconds: 0, watchGraceMs: 30 });
  await waitFor('second watch', () => client.watches.length === 2);
  t.ok(client.watches[0].aborted, 'the silent watch was aborted');
});

t.test('a handler that throws is logged and does not stop the watch', async (t) => {
  const client = new FakeClient<Obj>();
  const log = recordingLog();
  const names: string[] = [];
  const reflector = new Reflector<Obj, string>(client, (o) => o.metadata.name, {
    replace: () => undefined,
    upsert: (name) => {
      if (name === 'bad') throw new Error('handler bug');
      names.push(name);
    },
    remove: () => undefined,
  }, { log });
  reflector.start();
  t.teardown(() => reflector.stop());
  await waitFor('watch', () => client.watches.length === 1);
  client.lastWatch!.emit('ADDED', obj('bad', '2'));
  client.lastWatch!.emit('ADDED', obj('good', '3'));
  t.same(names, ['good']);
  t.match(log.lines.find((l) => l.level === 'error'), { fields: { err: 'handler bug' } });
});

t.test('stop() aborts the open watch and a pending retry; nothing runs afterwards', async (t) => {
  const client = new FakeClient<Obj>();
  const { reflector } = start(t, client);
  await waitFor('watch', () => client.watches.length === 1);
  reflector.stop();
  t.ok(client.lastWatch?.aborted);

  const failing = new FakeClient<Obj>(new Error('down'));
  const second = start(t, failing, { initialBackoffMs: 60_000, maxBackoffMs: 60_000 });
  await waitFor('first failure', () => warnings(second.log).length === 1);
  second.reflector.stop(); // cancels the one-minute sleep: the test would hang otherwise
  t.equal(failing.listCalls.length, 1);
  t.equal(failing.watches.length, 0);
});

t.test('backoffDelay and isGone', async (t) => {
  t.equal(backoffDelay(1, 500, 30_000, () => 1), 500);
  t.equal(backoffDelay(3, 500, 30_000, () => 1), 2000);
  t.equal(backoffDelay(50, 500, 30_000, () => 1), 30_000, 'capped');
  t.equal(backoffDelay(3, 500, 30_000, () => 0), 1000, 'jitter takes off up to half');
  t.ok(isGone({ statusCode: 410 }));
  t.ok(isGone({ code: 410 }));
  t.notOk(isGone({ code: 'ECONNRESET' }));
  t.notOk(isGone(null));
});
