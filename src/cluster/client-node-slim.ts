// Loads @kubernetes/client-node's KubeConfig and Watch without its generated API:
// dist/config.js imports `./gen/index.js` (every API class, model and ObjectSerializer:
// +25 MiB heap, +60 MiB RSS at rest) for two small names. A module resolve hook points that
// one import, from that one file, at client-node-gen.ts instead. `serve` calls the
// apiserver through kube-http.ts, so nothing else needs the generated code.
//
// Version trap: this depends on client-node 1.x's file layout (no "exports" map, so deep
// imports resolve; dist/config.js importing ./gen/index.js). test/cluster/client-node-slim.test.ts
// fails loudly if an upgrade changes it; at run time a changed layout only costs memory
// (the whole library loads) and is logged by the caller.
import module from 'node:module';

const GEN_INDEX = '/@kubernetes/client-node/dist/gen/index.js';
const CONFIG = '/@kubernetes/client-node/dist/config.js';
const MARK = Symbol.for('sidecar-injector.client-node-slim');

/** The resolve hook, as source: Node 20 runs hooks in a worker from a module URL. */
function hookSource(slim: string): string {
  return `const slim = ${JSON.stringify(slim)};
const redirected = (url, parent) => url.endsWith(${JSON.stringify(GEN_INDEX)}) && (parent ?? '').endsWith(${JSON.stringify(CONFIG)});
export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  return redirected(found.url, context.parentURL) ? next(slim, context) : found;
}
export { redirected };`;
}

type SyncResolve = (specifier: string, context: { parentURL?: string }, next: (s: string, c: unknown) => { url: string }) => { url: string };
type RegisterHooks = (hooks: { resolve: SyncResolve }) => unknown;

let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const slim = new URL('./client-node-gen.js', import.meta.url).href;
  const registerHooks = (module as unknown as { registerHooks?: RegisterHooks }).registerHooks;
  if (registerHooks) {
    // Node >= 22.15: in-thread, synchronous hooks (the image's Node 22).
    registerHooks({
      resolve(specifier, context, next) {
        const found = next(specifier, context);
        return found.url.endsWith(GEN_INDEX) && (context.parentURL ?? '').endsWith(CONFIG) ? next(slim, context) : found;
      },
    });
    return;
  }
  // Node 20: hooks run in a worker thread (~12 MiB of RSS; the generated API costs more).
  module.register(`data:text/javascript,${encodeURIComponent(hookSource(slim))}`);
}

/**
 * Imports `load()` (a module that imports client-node's dist/config.js or dist/watch.js)
 * with the generated API left out. Returns the module and whether the slim load took
 * effect (false: the library's layout changed and all of it loaded).
 */
export async function importWithSlimClient<T>(load: () => Promise<T>): Promise<{ module: T; slim: boolean }> {
  install();
  const loaded = await load();
  return { module: loaded, slim: (globalThis as Record<symbol, unknown>)[MARK] === true };
}
