// Loads @kubernetes/client-node's KubeConfig and Watch without its generated API:
// dist/config.js imports `./gen/index.js` (every API class, model and ObjectSerializer:
// +25 MiB heap, +60 MiB RSS at rest) for two small names. A module resolve hook points that
// one import, from that one file, at client-node-gen.ts instead. `serve` calls the
// apiserver through kube-http.ts, so nothing else needs the generated code. The image's
// bundle (scripts/bundle-image.js) makes the same redirect when it is built, and no hook.
//
// Version trap: this depends on client-node 1.x's file layout (no "exports" map, so deep
// imports resolve; dist/config.js importing ./gen/index.js). test/cluster/client-node-slim.test.ts
// fails loudly if an upgrade changes it; at run time a changed layout only costs memory
// (the whole library loads) and is logged by the caller.
import module from 'node:module';

const GEN_INDEX = '/@kubernetes/client-node/dist/gen/index.js';
const CONFIG = '/@kubernetes/client-node/dist/config.js';
const MARK = Symbol.for('sidecar-injector.client-node-slim');

/** The resolve hook, as module source (hooks run in a worker, loaded from a URL). */
function hookSource(slim: string): string {
  return `export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  const redirect = found.url.endsWith(${JSON.stringify(GEN_INDEX)}) && (context.parentURL ?? '').endsWith(${JSON.stringify(CONFIG)});
  return redirect ? next(${JSON.stringify(slim)}, context) : found;
}`;
}

let installed = false;

/**
 * Set by the image's bundle (scripts/bundle-image.js `define`), which makes the same
 * redirect when it is built: no hook, and no hook worker, is needed then.
 */
declare const __SIDECAR_INJECTOR_BUNDLE__: boolean | undefined;
const bundled = typeof __SIDECAR_INJECTOR_BUNDLE__ !== 'undefined' && __SIDECAR_INJECTOR_BUNDLE__;

/**
 * module.register, on Node 20 and 22 alike: its hooks run in a worker thread that costs
 * ~12 MiB of RSS for the life of the process (bench/children/footprint.js: bare node
 * 41 MiB, with the hook 53 MiB), well under the 25 MiB of heap and 35 MiB of RSS the
 * generated API costs. Node 22.15's in-thread module.registerHooks would save the worker;
 * it is still experimental there.
 */
function install(): void {
  if (installed || bundled) return;
  installed = true;
  const slim = new URL('./client-node-gen.js', import.meta.url).href;
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
