// The server's compiler: the work happens in a worker thread, errors come back with file
// and field, and a template that does not finish in time is stopped and rejected.
import t from 'tap';
import { compileBounded, WORKER_LIMITS } from '../../src/config/compile-bounded.js';
import { compileSnapshot } from '../../src/config/compile.js';
import { readConfigFiles } from '../support/config.js';

// Each worker loads TypeScript again under the test runner: seconds per compile.
t.setTimeout(300_000);

t.test('a good version compiles to the same snapshot as on the calling thread', async (t) => {
  const files = readConfigFiles();
  const bounded = await compileBounded(files, { ownNamespace: 'mesh' });
  const direct = compileSnapshot(files, { ownNamespace: 'mesh' });
  t.equal(bounded.revision, direct.revision);
  t.same(bounded.values, direct.values);
  t.same([...bounded.templates.keys()], [...direct.templates.keys()]);
  t.same(bounded.templates.get('sidecar')?.source, direct.templates.get('sidecar')?.source);
  t.ok(Object.isFrozen(bounded.values), 'frozen like a compiled snapshot');
});

t.test('a rejection in the worker keeps its file and field', async (t) => {
  const files = { ...readConfigFiles(), 'config.yaml': 'policy: sometimes\n' };
  await t.rejects(compileBounded(files), { name: 'ConfigError', file: 'config.yaml', field: 'policy', message: /^config\.yaml: policy: must be "enabled" or "disabled"/ });
});

t.test('too big is refused on the calling thread, before a worker starts', async (t) => {
  await t.rejects(compileBounded({ 'config.yaml': 'x'.repeat(2_000_000) }), { file: 'config.yaml', message: /2000000 bytes; at most 524288/ });
});

t.test('a template that renders for too long is stopped and named', async (t) => {
  const files = readConfigFiles();
  const slow = files['sidecar.template.yaml'].replace(/^\$let:$/m, "$$let:\n  count: {$$eval: 'str(len(range(0, 60000000)))'}");
  await t.rejects(compileBounded({ ...files, 'sidecar.template.yaml': slow }, {}, { ...WORKER_LIMITS, timeoutMs: 1000 }), {
    // Named with the file being worked on: the template being rendered, or on a starved
    // machine (coverage, many tests at once) a file still being parsed.
    file: /^(sidecar\.template|config)\.yaml$/, field: /^\((render|parse)\)$/, message: /took more than 1000 ms \(stopped\)|needed more than the 64 MB heap/,
  });
});
