// @ts-check
// The modules of the compiled program (dist/, which `npm run bench` builds first), typed as
// their sources in src/: `npm run typecheck` (bench/tsconfig.json) fails when an export
// the benchmark uses is renamed, moved or retyped, instead of the benchmark failing later.
import { dist } from './paths.js';

/**
 * Every module the benchmark loads, by its path under dist/ (and src/).
 * @typedef {{
 *   'admission/admit.js': typeof import('../../src/admission/admit.js'),
 *   'admission/response.js': typeof import('../../src/admission/response.js'),
 *   'admission/review.js': typeof import('../../src/admission/review.js'),
 *   'certs/generate.js': typeof import('../../src/certs/generate.js'),
 *   'cli/main.js': typeof import('../../src/cli/main.js'),
 *   'cli/serve-events.js': typeof import('../../src/cli/serve-events.js'),
 *   'cli/serve.js': typeof import('../../src/cli/serve.js'),
 *   'cluster/client-node-slim.js': typeof import('../../src/cluster/client-node-slim.js'),
 *   'cluster/cluster-version.js': typeof import('../../src/cluster/cluster-version.js'),
 *   'cluster/events.js': typeof import('../../src/cluster/events.js'),
 *   'cluster/kube-client.js': typeof import('../../src/cluster/kube-client.js'),
 *   'cluster/kube-http.js': typeof import('../../src/cluster/kube-http.js'),
 *   'cluster/kube.js': typeof import('../../src/cluster/kube.js'),
 *   'cluster/namespace-cache.js': typeof import('../../src/cluster/namespace-cache.js'),
 *   'cluster/namespace-lookup.js': typeof import('../../src/cluster/namespace-lookup.js'),
 *   'config/compile.js': typeof import('../../src/config/compile.js'),
 *   'config/configmap-source.js': typeof import('../../src/config/configmap-source.js'),
 *   'config/load-dir.js': typeof import('../../src/config/load-dir.js'),
 *   'injection/decide.js': typeof import('../../src/injection/decide.js'),
 *   'injection/engine.js': typeof import('../../src/injection/engine.js'),
 *   'injection/patch.js': typeof import('../../src/injection/patch.js'),
 *   'injection/pod-shape.js': typeof import('../../src/injection/pod-shape.js'),
 *   'injection/probe-hook.js': typeof import('../../src/injection/probe-hook.js'),
 *   'injection/render.js': typeof import('../../src/injection/render.js'),
 *   'injection/render-cache.js': typeof import('../../src/injection/render-cache.js'),
 *   'injection/resolve-settings.js': typeof import('../../src/injection/resolve-settings.js'),
 *   'server/json-body.js': typeof import('../../src/server/json-body.js'),
 *   'server/json-depth.js': typeof import('../../src/server/json-depth.js'),
 *   'server/limit-defaults.js': typeof import('../../src/server/limit-defaults.js'),
 *   'server/logger.js': typeof import('../../src/server/logger.js'),
 *   'server/metrics.js': typeof import('../../src/server/metrics.js'),
 *   'server/webhook-app.js': typeof import('../../src/server/webhook-app.js'),
 * }} ProgramModules
 */

/**
 * A module of the compiled program, e.g. `await loadProgram('admission/review.js')`.
 * @template {keyof ProgramModules} P
 * @param {P} relative
 * @returns {Promise<ProgramModules[P]>}
 */
export function loadProgram(relative) {
  return import(dist(relative));
}

/**
 * The file of a module of the compiled program, for a child process to import.
 * @param {keyof ProgramModules} relative
 */
export function programFile(relative) {
  return dist(relative);
}
