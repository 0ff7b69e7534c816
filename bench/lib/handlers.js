// @ts-check
// The handling of one AdmissionReview inside one process, with the same functions the
// webhook route calls, wired as `serve --standalone --namespace-labels
// sidecar-injection=enabled` wires them (built-in templates). Shared by the in-process
// children.
//   core   JSON.parse(bytes) → decodeReview → admit → encodeResponse → responseJson;
//   route  the same through the real fastify app (buildApp) with fastify's inject();
//   floor  JSON.parse(bytes) and a stringified `allowed: true` answer (the baseline's work).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { TEMPLATES_DIR } from './paths.js';
import { loadProgram } from './program.js';
import { REVIEWS } from './fixtures.js';

const { loadConfigDir } = await loadProgram('config/load-dir.js');
const { compileSnapshot } = await loadProgram('config/compile.js');
const { decodeReview } = await loadProgram('admission/review.js');
const { admit } = await loadProgram('admission/admit.js');
const { encodeResponse, responseJson } = await loadProgram('admission/response.js');
const { evaluatePod } = await loadProgram('injection/engine.js');
const { StaticNamespaces } = await loadProgram('cluster/namespace-lookup.js');

export { decodeReview, encodeResponse, evaluatePod, responseJson };

export const snapshot = compileSnapshot(await loadConfigDir(TEMPLATES_DIR), { ownNamespace: 'sidecar-injector' });
export const deps = {
  snapshot: () => snapshot,
  namespaces: new StaticNamespaces({ labels: { 'sidecar-injection': 'enabled' } }),
  evaluate: evaluatePod,
};

/** The three reviews with their bytes. */
export function readReviews(fixturesDir) {
  return REVIEWS.map((r) => ({ ...r, body: readFileSync(path.join(fixturesDir, r.file)) }));
}

/** The route's work on one body, without HTTP: bytes in, bytes out. */
export async function handleCore(body) {
  const review = decodeReview(JSON.parse(body.toString('utf8')));
  const admission = await admit(review.request, deps);
  return Buffer.from(responseJson(encodeResponse(review.apiVersion, review.request.uid, admission.verdict)));
}

/**
 * Bodies that differ on every call: a label `bench-distinct: N` is spliced into the pod's
 * labels, so nothing computed for one pod can be reused for the next (as for pods of
 * different workloads). Costs one string concatenation per call.
 */
export function distinctBodies(body) {
  const text = body.toString('utf8');
  const object = text.indexOf('"object"');
  const labels = text.indexOf('"labels": {', object);
  const metadata = text.indexOf('"metadata": {', object);
  if (object === -1 || metadata === -1) return undefined;
  // Into the pod's labels, or a labels map of its own when the pod has none.
  const [cut, open, close] = labels !== -1
    ? [labels + '"labels": {'.length, '', ', ']
    : [metadata + '"metadata": {'.length, '"labels": {', '}, '];
  const head = text.slice(0, cut);
  const tail = text.slice(cut);
  let n = 0;
  return () => `${head}${open}"bench-distinct": "${++n}"${close}${tail}`;
}

/** The baseline server's work on one body. */
export async function handleFloor(body) {
  const review = JSON.parse(body.toString('utf8'));
  return Buffer.from(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } }));
}

/** The real webhook app, its log line written to /dev/null, driven by app.inject(). */
export async function makeRouteHandler() {
  const { buildApp } = await loadProgram('server/webhook-app.js');
  const { createLogger } = await loadProgram('server/logger.js');
  const { createMetrics } = await loadProgram('server/metrics.js');
  const logger = createLogger('info', pino.destination({ dest: '/dev/null', sync: true }));
  const app = buildApp({ ...deps, logger, metrics: createMetrics() });
  await app.ready();
  return async (body) => {
    const res = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: body });
    if (res.statusCode !== 200) throw new Error(`route answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
    return res.rawPayload;
  };
}

/** Checks the answer is what the injector must say for these reviews (all injected). */
export function checkAnswer(id, bytes) {
  const answer = JSON.parse(bytes.toString('utf8'));
  if (answer.response?.allowed !== true || answer.response.patchType !== 'JSONPatch') {
    throw new Error(`review ${id}: expected an allowed, patched answer, got ${bytes.toString('utf8').slice(0, 300)}`);
  }
  return bytes.length;
}
