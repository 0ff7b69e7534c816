// @ts-check
// The image's program (Dockerfile ENTRYPOINT): bin/sidecar-injector.js with dist/ and the
// dependencies it loads bundled, minified, into dist/bundle/. `serve` then opens 25
// JavaScript files instead of 593; at rest that saves heap (module sources and records) and
// malloc'd loader memory. Measured in BENCHMARKS.md (section 3, which runs this entry).
// Lazily loaded commands stay lazy (`splitting`: their chunks load on first import).
// Left out, loaded from node_modules as `npm ci --omit=dev` installs it: json-e, whose
// internals template-compile reuses by path (injection/jsone-internals.ts), which must be
// the very module `jsone()` runs, errors and all.
// client-node's KubeConfig is bundled without its generated API: the redirect that
// cluster/client-node-slim.ts makes with a module hook at run time (and a hook worker,
// ~12 MiB) is made here, once, by `slimClientNode`.
// Paths the code resolves from its own URL stay right because dist/bundle/ is as deep as
// dist/cli/ (../../templates, ../../package.json), and the config worker's entry sits
// beside the chunk that starts it by `new URL('./compile-worker.js', import.meta.url)`.
// test/deploy/bundle.test.ts checks what the bundle leaves out and what serve loads.
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** client-node's dist/config.js importing `./gen/index.js` gets dist/cluster/client-node-gen.js instead. */
const slimClientNode = {
  name: 'slim-client-node',
  /** @param {import('esbuild').PluginBuild} build */
  setup(build) {
    build.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (args) =>
      (args.importer.endsWith('/@kubernetes/client-node/dist/config.js') ? { path: `${ROOT}/dist/cluster/client-node-gen.js` } : undefined));
  },
};

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: {
    'sidecar-injector': 'bin/sidecar-injector.js',
    'compile-worker': 'dist/config/compile-worker.js',
  },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // Function and class names stay readable in logs and errors.
  keepNames: true,
  external: ['json-e'],
  plugins: [slimClientNode],
  define: { __SIDECAR_INJECTOR_BUNDLE__: 'true' },
  // CommonJS dependencies (fastify, pino, prom-client) call require() for Node's modules.
  banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
});
// What each output holds and imports: test/deploy/bundle.test.ts reads it. Beside the bundle, not in it (the image copies dist/bundle/).
writeFileSync(`${ROOT}/dist/bundle.meta.json`, `${JSON.stringify(result.metafile, null, 1)}\n`);
