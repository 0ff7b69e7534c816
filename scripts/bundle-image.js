// @ts-check
// The image's program (Dockerfile ENTRYPOINT): bin/sidecar-injector.js with dist/ and the
// dependencies it loads bundled, minified, into dist/bundle/. `serve` then opens 25
// JavaScript files instead of 593; at rest that saves heap (module sources and records) and
// malloc'd loader memory. Measured in BENCHMARKS.md (section 3, which runs this entry).
// Lazily loaded commands stay lazy (`splitting`: their chunks load on first import).
// Left out, loaded from node_modules as `npm ci --omit=dev` installs them:
// - json-e: template-compile reuses its internals by path (injection/jsone-internals.ts),
//   which must be the very module `jsone()` runs, errors and all;
// - @kubernetes/client-node: cluster/client-node-slim.ts recognises its files by URL.
// Paths the code resolves from its own URL stay right because dist/bundle/ is as deep as
// dist/cli/ (../../templates, ../../package.json), and the worker and client-node-gen
// entries sit beside the chunks that load them by `new URL('./…', import.meta.url)`.
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: {
    'sidecar-injector': 'bin/sidecar-injector.js',
    'compile-worker': 'dist/config/compile-worker.js',
    'client-node-gen': 'dist/cluster/client-node-gen.js',
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
  external: ['json-e', '@kubernetes/client-node'],
  // CommonJS dependencies (fastify, pino, prom-client) call require() for Node's modules.
  banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
});
// What each output imports, left out of it included: test/deploy/dockerfile.test.ts checks
// that the image holds all of it. Beside the bundle, not in it (the image copies dist/bundle/).
writeFileSync(`${ROOT}/dist/bundle.meta.json`, `${JSON.stringify(result.metafile, null, 1)}\n`);
