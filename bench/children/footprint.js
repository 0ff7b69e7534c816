// @ts-check
// What loading code costs before any request: heap (after a full GC) and RSS of a fresh
// Node.js process after importing one set of modules.
// Usage: node --expose-gc footprint.js '{"what":"bare"|"serve-modules"|"client-node"|"fastify-stack"}'
import { programFile } from '../lib/program.js';

/** Node.js started with --expose-gc. */
const gc = /** @type {() => void} */ (globalThis.gc);
const { what } = JSON.parse(process.argv[2]);
const IMPORTS = {
  bare: [],
  // Everything `serve` loads (the CLI imports subcommands lazily).
  'serve-modules': [programFile('cli/serve.js')],
  'client-node': ['@kubernetes/client-node'],
  // The server's other dependencies, without the Kubernetes client.
  'fastify-stack': ['fastify', 'pino', 'prom-client', 'json-e', 'yaml', 'fast-json-patch'],
};
for (const specifier of IMPORTS[what]) await import(specifier);
await new Promise((r) => setTimeout(r, 50));
gc();
gc();
const m = process.memoryUsage();
process.stdout.write(`${JSON.stringify({ what, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external })}\n`);
