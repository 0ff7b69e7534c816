// The image's program, dist/bundle/ (scripts/bundle-image.js), read through esbuild's own
// record of it (dist/bundle.meta.json): what it leaves to node_modules is installed in the
// image, and `serve` with Kubernetes access loads client-node without its generated API.
import t, { type Test } from 'tap';
import { builtinModules } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');
const BUNDLE_DIR = 'dist/bundle';
const META_FILE = join(repo, 'dist', 'bundle.meta.json');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

interface Output { imports: { path: string; kind: string; external?: boolean }[]; inputs: Record<string, unknown> }

function readMeta(t: Test): Record<string, Output> | undefined {
  if (!existsSync(META_FILE)) {
    t.fail('dist/bundle.meta.json is missing: run `npm run build` (the image would have nothing to run)');
    return undefined;
  }
  const { outputs } = JSON.parse(readFileSync(META_FILE, 'utf8')) as { outputs: Record<string, Output> };
  return Object.fromEntries(Object.entries(outputs).filter(([path]) => path.endsWith('.js')));
}

const packageOf = (s: string) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/');

t.test('what the bundle imports is in the image: Node.js modules and production dependencies', async (t) => {
  const outputs = readMeta(t);
  if (!outputs) return;
  t.ok(Object.hasOwn(outputs, `${BUNDLE_DIR}/sidecar-injector.js`), 'the entry is bundled');
  const builtins = new Set(builtinModules);
  const external = new Set<string>();
  for (const [output, { imports }] of Object.entries(outputs)) {
    t.ok(existsSync(join(repo, output)), `${output} is built`);
    for (const { path, kind, external: left } of imports) {
      if (!left) t.ok(path.startsWith(`${BUNDLE_DIR}/`), `${output} imports ${path}, in ${BUNDLE_DIR}`);
      else if (path.startsWith('node:') || builtins.has(path)) continue;
      // A bundled library's optional package, required inside a try (ws's utf-8-validate):
      // absent here as in the image, so the bundle behaves as the library does unbundled.
      else if (kind === 'require-call' && !Object.hasOwn(pkg.dependencies, packageOf(path))) t.notOk(existsSync(join(repo, 'node_modules', packageOf(path))), `${path}: optional, not installed`);
      else external.add(packageOf(path));
    }
  }
  t.same([...external].sort(), ['json-e'], 'only json-e stays in node_modules (scripts/bundle-image.js says why)');
  for (const name of external) t.ok(Object.hasOwn(pkg.dependencies, name), `${name}: a production dependency`);
});

t.test('serve loads client-node without its generated API (made at build time, no module hook)', async (t) => {
  const outputs = readMeta(t);
  if (!outputs) return;
  // What serve imports with Kubernetes access (cli/serve-wiring.ts): cluster/kube.js, through client-node-slim.
  const start = Object.keys(outputs).find((o) => Object.hasOwn(outputs[o].inputs, 'dist/cluster/kube.js'));
  t.ok(start, 'cluster/kube.js is bundled');
  if (!start) return;
  const loaded = new Set<string>();
  const visit = (output: string): void => {
    if (loaded.has(output)) return;
    loaded.add(output);
    for (const i of outputs[output].imports) if (!i.external && i.kind === 'import-statement') visit(i.path);
  };
  visit(start);
  const inputs = [...loaded].flatMap((o) => Object.keys(outputs[o].inputs));
  t.ok(inputs.some((i) => i.endsWith('/@kubernetes/client-node/dist/config.js')), 'KubeConfig is in what it loads');
  t.ok(inputs.includes('dist/cluster/client-node-gen.js'), 'with client-node-gen.js in place of the generated index');
  t.same(inputs.filter((i) => /\/@kubernetes\/client-node\/dist\/gen\/(index|apis\/|models\/ObjectSerializer)/.test(i)), [], 'none of the generated index, APIs or serializer');
});
