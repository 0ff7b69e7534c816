// Smoke tests of the installed launcher: bin/sidecar-injector.js runs the compiled dist/.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT, TEST_CONFIG } from './support/cli.js';

const BIN = join(ROOT, 'bin', 'sidecar-injector.js');

// Building takes a while on a busy machine: more than tap's default 30 s.
t.setTimeout(300_000);
// dist/ is built by `npm install` (prepare) and by CI before the tests. Rebuild only when it
// is missing or older than a source file: other test files may be reading dist/ right now.
function newestSource(dir: string): number {
  return Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) =>
    e.isDirectory() ? newestSource(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs));
}
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
if (!existsSync(MAIN) || statSync(MAIN).mtimeMs < newestSource(join(ROOT, 'src'))) {
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT });
}

function run(args: string[], input = '') {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, encoding: 'utf8', timeout: 60_000 });
}

t.test('dist is built', async (t) => {
  t.ok(existsSync(join(ROOT, 'dist', 'cli', 'main.js')));
  t.ok(existsSync(join(ROOT, 'dist', 'config', 'load-dir.js')));
});

t.test('--version and exit codes through the launcher', async (t) => {
  const version = run(['--version']);
  t.equal(version.status, 0);
  t.equal(version.stdout.trim(), (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  const usage = run(['nonsense']);
  t.equal(usage.status, 2);
  t.match(usage.stderr, /unknown command "nonsense"/);
  const bad = run(['inject', '-f', '-', '--config-dir', TEST_CONFIG], 'kind: Pod\nmetadata: [\n');
  t.equal(bad.status, 1);
  t.match(bad.stderr, /document 1, line \d+: invalid YAML/);
});

t.test('inject from stdin through the launcher', async (t) => {
  const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: app:1\n';
  const r = run(['inject', '-f', '-', '--config-dir', TEST_CONFIG, '--namespace-labels', 'sidecar-injection=enabled'], pod);
  t.equal(r.status, 0, r.stderr);
  t.same(parse(r.stdout).spec.containers.map((c: { name: string }) => c.name), ['app', 'proxy']);
});

t.test('the built-in configuration from dist (default --config-dir)', async (t) => {
  const r = run(['inject', '-f', join(ROOT, 'examples', 'deployment.yaml'), '--namespace-labels', 'sidecar-injection=enabled']);
  t.equal(r.status, 0, r.stderr);
  const template = parse(r.stdout).spec.template;
  t.ok(template.metadata.annotations['sidecar-injector.io/status'], 'injected with the built-in templates');
  t.ok(template.spec.containers.length > 1);
});
