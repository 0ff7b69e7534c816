// What loading code costs before any request: heap (after a full GC) and RSS of a fresh
// Node.js process after importing one set of modules.
// Usage: node --expose-gc footprint.js '{"what":"bare"|"serve-modules"|"client-node"|"fastify-stack"}'
import { dist } from '../lib/paths.js';

const { what } = JSON.parse(process.argv[2]);
const IMPORTS = {
  bare: [],
  // Everything `serve` loads (the CLI imports subcommands lazily).
  'serve-modules': [dist('cli/serve.js')],
  'client-node': ['@kubernetes/client-node'],
  // The server's other dependencies, without the Kubernetes client.
  'fastify-stack': ['fastify', 'pino', 'prom-client', 'json-e', 'yaml', 'fast-json-patch'],
};
for (const specifier of IMPORTS[what]) await import(specifier);
await new Promise((r) => setTimeout(r, 50));
globalThis.gc();
globalThis.gc();
const m = process.memoryUsage();
process.stdout.write(`${JSON.stringify({ what, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external })}\n`);
