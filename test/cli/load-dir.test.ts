import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_CONFIG_DIR, ConfigDirError, loadConfigDir } from '../../src/config/load-dir.js';
import { ROOT } from './support/cli.js';

t.test('BUILTIN_CONFIG_DIR is the repository templates/ folder', async (t) => {
  t.equal(BUILTIN_CONFIG_DIR, join(ROOT, 'templates'));
  t.ok(existsSync(join(BUILTIN_CONFIG_DIR, 'config.yaml')));
  const files = await loadConfigDir(BUILTIN_CONFIG_DIR);
  t.ok(files['config.yaml']);
  t.ok(files['sidecar.template.yaml']);
  t.notOk(files['kustomization.yaml'], 'files other than config.yaml and *.template.yaml are left out');
});

t.test('reads config.yaml and *.template.yaml only', async (t) => {
  const dir = t.testdir({
    'config.yaml': 'policy: enabled\n',
    'a.template.yaml': 'containers: []\n',
    'b.template.yaml': 'volumes: []\n',
    'README.md': '# not config\n',
    '.hidden.template.yaml': 'x: 1\n',
    sub: { 'c.template.yaml': 'x: 1\n' },
  });
  const files = await loadConfigDir(dir);
  t.same(Object.keys(files), ['a.template.yaml', 'b.template.yaml', 'config.yaml']);
  t.equal(files['config.yaml'], 'policy: enabled\n');
});

t.test('names the directory and says why it cannot be read', async (t) => {
  const dir = t.testdir({ 'file.txt': 'x' });
  await t.rejects(loadConfigDir(join(dir, 'missing')), { name: 'ConfigDirError', message: /missing: it does not exist; expected a directory/ });
  await t.rejects(loadConfigDir(join(dir, 'file.txt')), { message: /file\.txt: it is not a directory/ });
  await t.rejects(loadConfigDir(join(dir, 'missing')), ConfigDirError);
});
