// In-process measurements, no network: the handling of one AdmissionReview from its bytes
// to the response bytes, with the same functions the webhook route calls.
//
//   mode "timing": time per review (median, p99) for
//     core   JSON.parse(bytes) → decodeReview → admit (real engine, built-in templates,
//            namespace labelled sidecar-injection=enabled) → encodeResponse → JSON.stringify:
//            exactly the route's work without the HTTP framework;
//     route  the same through the real fastify app (buildApp) with fastify's inject():
//            content-type parsing, hooks, the admission log line (to /dev/null), metrics;
//     floor  JSON.parse(bytes) and a stringified `allowed: true` answer: what the baseline
//            server does per request;
//     plus a breakdown of the engine's stages for each review.
//   mode "alloc": bytes allocated per review (see allocatedPerCall), and the namespace
//     cache's footprint with 5,000 namespaces.
// Usage: node [flags] in-process.js '{"mode":"timing"|"alloc", "fixturesDir":..., "quick":false}'
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { pino } from 'pino';
import { dist, TEMPLATES_DIR } from '../lib/paths.js';
import { REVIEWS } from '../lib/fixtures.js';
import { summarizeNs } from '../lib/stats.js';

const input = JSON.parse(process.argv[2]);
const quick = Boolean(input.quick);

const { loadConfigDir } = await import(dist('config/load-dir.js'));
const { compileSnapshot } = await import(dist('config/compile.js'));
const { decodeReview } = await import(dist('admission/review.js'));
const { admit } = await import(dist('admission/admit.js'));
const { encodeResponse } = await import(dist('admission/response.js'));
const { evaluatePod } = await import(dist('injection/engine.js'));
const { StaticNamespaces } = await import(dist('cluster/namespace-cache.js'));

const snapshot = compileSnapshot(await loadConfigDir(TEMPLATES_DIR), { ownNamespace: 'sidecar-injector' });
const namespaceLabels = { 'sidecar-injection': 'enabled' };
// As `serve --standalone --namespace-labels sidecar-injection=enabled` wires them.
const deps = { snapshot: () => snapshot, namespaces: new StaticNamespaces({ labels: namespaceLabels }), evaluate: evaluatePod };

const reviews = REVIEWS.map((r) => ({ ...r, body: readFileSync(path.join(input.fixturesDir, r.file)) }));

/** The route's work on one body, without HTTP: bytes in, bytes out. */
async function handleCore(body) {
  const review = decodeReview(JSON.parse(body.toString('utf8')));
  const admission = await admit(review.request, deps);
  return Buffer.from(JSON.stringify(encodeResponse(review.apiVersion, review.request.uid, admission.verdict)));
}

/** The baseline server's work on one body. */
async function handleFloor(body) {
  const review = JSON.parse(body.toString('utf8'));
  return Buffer.from(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } }));
}

async function makeRouteHandler() {
  const { buildApp } = await import(dist('server/webhook-app.js'));
  const { createLogger } = await import(dist('server/logger.js'));
  const { createMetrics } = await import(dist('server/metrics.js'));
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
function checkAnswer(id, bytes) {
  const answer = JSON.parse(bytes.toString('utf8'));
  if (answer.response?.allowed !== true || answer.response.patchType !== 'JSONPatch') {
    throw new Error(`review ${id}: expected an allowed, patched answer, got ${bytes.toString('utf8').slice(0, 300)}`);
  }
  return bytes.length;
}

function iterationsFor(review) {
  const scale = review.id === 'huge' ? 0.025 : 1;
  const measured = Math.max(50, Math.round((quick ? 500 : 20000) * scale));
  return { warmup: Math.max(20, Math.round(measured / 4)), measured };
}

async function timeCalls(fn, body, { warmup, measured }) {
  for (let i = 0; i < warmup; i++) await fn(body);
  const samples = new Float64Array(measured);
  for (let i = 0; i < measured; i++) {
    const start = process.hrtime.bigint();
    await fn(body);
    samples[i] = Number(process.hrtime.bigint() - start);
  }
  return summarizeNs(samples);
}

/** Median time of the engine's stages, each repeated alone on the same inputs. */
async function engineBreakdown(review, count) {
  try {
    const { decide } = await import(dist('injection/decide.js'));
    const { resolveSettings } = await import(dist('injection/settings.js'));
    const { readableMetadata } = await import(dist('injection/pod-shape.js'));
    const { renderTemplates, templateContext } = await import(dist('injection/render.js'));
    const { buildPatch } = await import(dist('injection/patch.js'));
    const text = review.body.toString('utf8');
    const decoded = decodeReview(JSON.parse(text));
    const pod = decoded.request.object;
    const ns = await deps.namespaces.get(decoded.request.namespace);
    const req = { kind: 'Pod', operation: 'CREATE' };
    const outcome = evaluatePod(pod, ns, snapshot, req);
    const resolution = resolveSettings(readableMetadata(pod), ns, snapshot);
    const stage = async (fn) => (await timeCalls(async () => fn(), undefined, { warmup: Math.ceil(count / 4), measured: count })).medianUs;
    return {
      parseUs: await stage(() => JSON.parse(text)),
      evaluatePodUs: await stage(() => evaluatePod(pod, ns, snapshot, req)),
      decideUs: await stage(() => decide(pod, ns, snapshot, req)),
      resolveSettingsUs: await stage(() => resolveSettings(readableMetadata(pod), ns, snapshot)),
      renderUs: await stage(() => renderTemplates(resolution.templates, snapshot, templateContext(pod, ns, resolution.settings, snapshot))),
      buildPatchUs: await stage(() => buildPatch(pod, outcome.plan)),
      encodeUs: await stage(() => JSON.stringify(encodeResponse(decoded.apiVersion, decoded.request.uid, { allowed: true, patch: outcome.patch, warnings: outcome.warnings }))),
      patchBytes: JSON.stringify(outcome.patch).length,
    };
  } catch (err) {
    return { error: `breakdown unavailable: ${err.message}` };
  }
}

async function timing() {
  const route = await makeRouteHandler();
  const results = [];
  for (const review of reviews) {
    const iterations = iterationsFor(review);
    const responseBytes = checkAnswer(review.id, await handleCore(review.body));
    checkAnswer(review.id, await route(review.body));
    results.push({
      id: review.id, file: review.file, size: review.body.length, responseBytes, iterations,
      core: await timeCalls(handleCore, review.body, iterations),
      route: await timeCalls(route, review.body, iterations),
      floor: await timeCalls(handleFloor, review.body, iterations),
      breakdown: await engineBreakdown(review, review.id === 'huge' ? (quick ? 20 : 200) : (quick ? 100 : 4000)),
    });
  }
  return { reviews: results };
}

// --- allocation ---------------------------------------------------------------------
// V8 counts every object allocated since the last collection in used_heap_size until the
// next collection frees anything. So: force a full GC, read used_heap_size, run K calls,
// read it again; if no collection ran in between, the difference is exactly what the K
// calls allocated on the JS heap (including what they already dropped). This child runs
// with a young generation large enough (--min/--max-semi-space-size) that K calls fit,
// and a PerformanceObserver on 'gc' entries proves no collection ran in the window; a
// window with a collection is discarded and retried with fewer calls. Off-heap bytes
// (Buffer/ArrayBuffer backing stores) are counted from process.memoryUsage().arrayBuffers.
const gcTimes = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) gcTimes.push(e.startTime); }).observe({ entryTypes: ['gc'] });
const flushObserver = () => new Promise((r) => setTimeout(r, 20));

async function allocatedPerCall(fn, body, calls) {
  for (let attempt = 0; attempt < 6; attempt++) {
    globalThis.gc();
    await flushObserver();
    const t0 = performance.now();
    const heap0 = v8.getHeapStatistics().used_heap_size;
    const ab0 = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < calls; i++) await fn(body);
    const heap1 = v8.getHeapStatistics().used_heap_size;
    const ab1 = process.memoryUsage().arrayBuffers;
    const t1 = performance.now();
    await flushObserver();
    if (!gcTimes.some((t) => t >= t0 && t <= t1)) {
      return { heapBytes: (heap1 - heap0) / calls, offHeapBytes: Math.max(0, ab1 - ab0) / calls, calls };
    }
    calls = Math.max(1, Math.floor(calls / 2));
  }
  return { error: 'a garbage collection ran during every attempt' };
}

async function overhead(calls) {
  // What the measuring loop itself allocates (promises of an empty async call).
  return allocatedPerCall(async () => undefined, undefined, calls);
}

async function namespaceCacheFootprint() {
  const { NamespaceCache } = await import(dist('cluster/namespace-cache.js'));
  const count = 5000;
  // Shaped like `kubectl get ns -o json` items of namespaces created by `kubectl apply`:
  // labels, a few annotations, the last-applied copy, managedFields.
  const namespaceObject = (i) => {
    const name = `team-${String(i).padStart(4, '0')}`;
    const labels = { 'sidecar-injection': i % 2 ? 'enabled' : 'disabled', team: `t${i % 97}`, env: i % 3 ? 'prod' : 'staging' };
    const annotations = { 'sidecar-injector.io/proxy-cpu': '100m', owner: `owner-${i}@example.com` };
    return {
      apiVersion: 'v1', kind: 'Namespace',
      metadata: {
        name, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, resourceVersion: String(1000 + i),
        creationTimestamp: '2026-01-01T00:00:00Z', labels,
        annotations: { ...annotations, 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } }) },
        managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': Object.fromEntries(Object.keys(labels).map((k) => [`f:${k}`, {}])) } } }],
      },
      spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' },
    };
  };
  const client = {
    describe: 'namespaces (scripted)',
    async list({ limit, continueToken }) {
      const from = Number(continueToken ?? 0);
      const to = Math.min(count, from + limit);
      const items = [];
      for (let i = from; i < to; i++) items.push(namespaceObject(i));
      return { items, resourceVersion: '9999', continueToken: to < count ? String(to) : undefined };
    },
    // A watch that stays open and delivers nothing.
    async watch() { return { abort() {} }; },
    async read() { return undefined; },
  };
  const measure = () => { globalThis.gc(); return v8.getHeapStatistics().used_heap_size; };
  await flushObserver();
  const before = measure();
  const cache = new NamespaceCache(client, {});
  await cache.synced;
  const after = measure();
  const size = cache.size;
  const probe = await cache.get('team-0001');
  cache.close();
  return { namespaces: size, heapBytes: after - before, perNamespaceBytes: (after - before) / size, sample: probe };
}

async function alloc() {
  const route = await makeRouteHandler();
  const base = await overhead(1000);
  const results = [];
  for (const review of reviews) {
    const calls = review.id === 'huge' ? 20 : 400;
    for (let i = 0; i < 50; i++) { await handleCore(review.body); await route(review.body); }
    const minus = (r) => (r.error ? r : { ...r, heapBytes: r.heapBytes - (base.heapBytes ?? 0) });
    results.push({
      id: review.id,
      core: minus(await allocatedPerCall(handleCore, review.body, calls)),
      route: minus(await allocatedPerCall(route, review.body, calls)),
      floor: minus(await allocatedPerCall(handleFloor, review.body, calls)),
    });
  }
  return { loopOverheadBytes: base.heapBytes, reviews: results, namespaceCache: await namespaceCacheFootprint() };
}

const result = input.mode === 'alloc' ? await alloc() : await timing();
process.stdout.write(`${JSON.stringify(result)}\n`);
