// Smoke tests of the programs users run: the launcher bin/sidecar-injector.js, which runs
// the compiled dist/, and the image's dist/bundle/sidecar-injector.js, the same CLI bundled
// with its dependencies (scripts/bundle-image.js). Both must behave alike.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT, TEST_CONFIG } from './support/cli.js';
import { IMAGE_ENTRY, programCommand } from '../e2e/support/repo.js';

const PROGRAMS = { launcher: join(ROOT, 'bin', 'sidecar-injector.js'), bundle: IMAGE_ENTRY };

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
if (!existsSync(PROGRAMS.bundle) || statSync(PROGRAMS.bundle).mtimeMs < statSync(MAIN).mtimeMs) {
  spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle-image.js')], { cwd: ROOT });
}

/**
 * The bundle runs outside coverage, as the e2e suite runs it: its minified chunks are not
 * our sources (the launcher's dist/ maps back to src/ and is covered).
 */
function run(program: string, args: string[], input = '') {
  const [command, argv] = program === PROGRAMS.bundle ? programCommand([program, ...args]) : [process.execPath, [program, ...args]];
  return spawnSync(command, argv, { cwd: ROOT, input, encoding: 'utf8', timeout: 60_000 });
}

t.test('dist is built, and bundled', async (t) => {
  t.ok(existsSync(join(ROOT, 'dist', 'cli', 'main.js')));
  t.ok(existsSync(join(ROOT, 'dist', 'config', 'load-dir.js')));
  t.ok(existsSync(PROGRAMS.bundle));
});

for (const [name, program] of Object.entries(PROGRAMS)) {
  t.test(`${name}: --version and exit codes`, async (t) => {
    const version = run(program, ['--version']);
    t.equal(version.status, 0);
    t.equal(version.stdout.trim(), (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    const usage = run(program, ['nonsense']);
    t.equal(usage.status, 2);
    t.match(usage.stderr, /unknown command "nonsense"/);
    const bad = run(program, ['inject', '-f', '-', '--config-dir', TEST_CONFIG], 'kind: Pod\nmetadata: [\n');
    t.equal(bad.status, 1);
    t.match(bad.stderr, /document 1, line \d+: invalid YAML/);
  });

  t.test(`${name}: inject from stdin`, async (t) => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: app:1\n';
    const r = run(program, ['inject', '-f', '-', '--config-dir', TEST_CONFIG, '--namespace-labels', 'sidecar-injection=enabled'], pod);
    t.equal(r.status, 0, r.stderr);
    t.same(parse(r.stdout).spec.containers.map((c: { name: string }) => c.name), ['app', 'proxy']);
  });

  t.test(`${name}: the built-in configuration (default --config-dir)`, async (t) => {
    const r = run(program, ['inject', '-f', join(ROOT, 'examples', 'deployment.yaml'), '--namespace-labels', 'sidecar-injection=enabled']);
    t.equal(r.status, 0, r.stderr);
    const template = parse(r.stdout).spec.template;
    t.ok(template.metadata.annotations['sidecar-injector.io/status'], 'injected with the built-in templates');
    t.ok(template.spec.containers.length > 1);
  });
}

t.test('the bundle answers as the launcher does: every example, both profiles, explain', async (t) => {
  for (const example of readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml'))) {
    for (const args of [['inject'], ['inject', '--profile', 'istio'], ['explain']]) {
      const argv = [...args, '-f', join(ROOT, 'examples', example), '--namespace-labels', 'sidecar-injection=enabled,istio-injection=enabled'];
      const [launcher, bundle] = [run(PROGRAMS.launcher, argv), run(PROGRAMS.bundle, argv)];
      t.equal(launcher.status, 0, `${args.join(' ')} ${example}: ${launcher.stderr}`);
      t.same({ status: bundle.status, stdout: bundle.stdout, stderr: bundle.stderr },
        { status: launcher.status, stdout: launcher.stdout, stderr: launcher.stderr }, `${args.join(' ')} ${example}`);
    }
  }
});
