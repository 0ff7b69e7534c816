// @ts-check
// What loading code costs before any request: heap (after a full GC) and RSS of a fresh
// Node.js process after importing one set of modules.
// Usage: node --expose-gc footprint.js '{"what":"bare"|"serve-modules"|"serve-kube-modules"|"client-node"|"client-node-slim"|"fastify-stack"}'
import { createRequire } from 'node:module';
import { mallocHeapBytes } from '../lib/proc.js';
import { programFile } from '../lib/program.js';

/** Node.js started with --expose-gc. */
const gc = /** @type {() => void} */ (globalThis.gc);
const { what } = JSON.parse(process.argv[2]);
/** The cluster modules `serve` imports lazily with Kubernetes access. */
/** @type {Array<keyof import('../lib/program.js').ProgramModules>} */
const SERVE_KUBE = ['cluster/kube-client.js', 'cluster/kube-http.js', 'cluster/namespace-cache.js', 'config/configmap-source.js', 'cluster/events.js', 'cluster/cluster-version.js', 'cli/serve-events.js'];
const IMPORTS = {
  bare: [],
  // Everything `serve --standalone` loads: the CLI's entry (every command's static
  // imports) and serve (imported lazily).
  'serve-modules': [programFile('cli/main.js'), programFile('cli/serve.js')],
  // ... and what it loads with Kubernetes access, the way serve loads it.
  'serve-kube-modules': [programFile('cli/main.js'), programFile('cli/serve.js'), 'slim:', ...SERVE_KUBE.map((m) => programFile(m))],
  // The whole library, as its index loads it (every generated API class and model).
  'client-node': ['@kubernetes/client-node'],
  // Only KubeConfig and Watch, without the generated API (cluster/client-node-slim.ts).
  'client-node-slim': ['slim:', programFile('cluster/kube-client.js')],
  // The server's other dependencies, without the Kubernetes client.
  'fastify-stack': ['fastify', 'pino', 'prom-client', 'json-e', 'yaml', 'fast-json-patch'],
};
for (const specifier of IMPORTS[what]) {
  if (specifier === 'slim:') {
    const { importWithSlimClient } = await import(programFile('cluster/client-node-slim.js'));
    await importWithSlimClient(() => import(programFile('cluster/kube.js')));
  } else {
    await import(specifier);
  }
}
await new Promise((r) => setTimeout(r, 50));
gc();
gc();
const m = process.memoryUsage();
/** CommonJS modules loaded (fastify's dependencies are CommonJS): a count, to see what a change leaves out. */
const commonJs = Object.keys(createRequire(import.meta.url).cache).length;
// What malloc holds (parsing and compiling the modules included), beside V8's heap.
const mallocHeap = mallocHeapBytes('self');
process.stdout.write(`${JSON.stringify({ what, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, mallocHeap, commonJs })}\n`);
