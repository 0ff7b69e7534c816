// In-process measurements, no network: the handling of one AdmissionReview from its bytes
// to the response bytes, with the same functions the webhook route calls.
//
//   mode "timing": time per review (median, p99), the variants interleaved, for
//     core   JSON.parse(bytes) → decodeReview → admit (real engine, built-in templates,
//            namespace labelled sidecar-injection=enabled) → encodeResponse → JSON.stringify:
//            exactly the route's work without the HTTP framework;
//     route  the same through the real fastify app (buildApp) with fastify's inject():
//            content-type parsing, hooks, the admission log line (to /dev/null), metrics;
//     distinct  core, with a different pod on every call (nothing reusable between calls);
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

/**
 * Bodies that differ on every call: a label `bench-distinct: N` is spliced into the pod's
 * labels, so nothing computed for one pod can be reused for the next (as for pods of
 * different workloads). Costs one string concatenation per call.
 */
function distinctBodies(body) {
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

/**
 * Times several variants of one job in interleaved rounds (a block of calls of each
 * variant in turn), so a change in the machine's load affects all of them alike. Each call
 * is timed alone with process.hrtime.bigint(). Rounds go on until `seconds` have passed
 * and every variant has `minCalls` samples, or a variant reaches `maxCalls`.
 * `variants`: name -> { fn, input } where input is a value or a function making one per call.
 */
async function timeInterleaved(variants, { seconds, block, minCalls, maxCalls, warmupCalls }) {
  const entries = Object.entries(variants).map(([name, v]) => ({
    name, fn: v.fn, next: typeof v.input === 'function' ? v.input : () => v.input, samples: [],
  }));
  for (const e of entries) for (let i = 0; i < warmupCalls; i++) await e.fn(e.next());
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  for (;;) {
    for (const e of entries) {
      for (let i = 0; i < block; i++) {
        const input = e.next();
        const start = process.hrtime.bigint();
        await e.fn(input);
        e.samples.push(Number(process.hrtime.bigint() - start));
      }
    }
    const n = entries[0].samples.length;
    if (n >= maxCalls || (n >= minCalls && process.hrtime.bigint() > deadline)) break;
  }
  return Object.fromEntries(entries.map((e) => [e.name, summarizeNs(e.samples)]));
}

function budgetFor(review) {
  const huge = review.id === 'huge';
  return quick
    ? { seconds: 1, block: huge ? 2 : 20, minCalls: huge ? 20 : 200, maxCalls: huge ? 200 : 5000, warmupCalls: huge ? 10 : 200 }
    : { seconds: 10, block: huge ? 5 : 50, minCalls: huge ? 200 : 2000, maxCalls: huge ? 2000 : 20000, warmupCalls: huge ? 50 : 1000 };
}

/** Median time of the engine's stages on the same inputs, interleaved like the variants. */
async function engineBreakdown(review) {
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
    const stage = (fn) => ({ fn: async () => fn(), input: undefined });
    const budget = { ...budgetFor(review), seconds: quick ? 0.5 : 3, minCalls: review.id === 'huge' ? 20 : 100 };
    const t = await timeInterleaved({
      parse: stage(() => JSON.parse(text)),
      evaluatePod: stage(() => evaluatePod(pod, ns, snapshot, req)),
      decide: stage(() => decide(pod, ns, snapshot, req)),
      resolveSettings: stage(() => resolveSettings(readableMetadata(pod), ns, snapshot)),
      render: stage(() => renderTemplates(resolution.templates, snapshot, templateContext(pod, ns, resolution.settings, snapshot))),
      buildPatch: stage(() => buildPatch(pod, outcome.plan)),
      encode: stage(() => JSON.stringify(encodeResponse(decoded.apiVersion, decoded.request.uid, { allowed: true, patch: outcome.patch, warnings: outcome.warnings }))),
    }, budget);
    return {
      parseUs: t.parse.medianUs, evaluatePodUs: t.evaluatePod.medianUs, decideUs: t.decide.medianUs,
      resolveSettingsUs: t.resolveSettings.medianUs, renderUs: t.render.medianUs, buildPatchUs: t.buildPatch.medianUs,
      encodeUs: t.encode.medianUs, patchBytes: JSON.stringify(outcome.patch).length,
    };
  } catch (err) {
    return { error: `breakdown unavailable: ${err.message}` };
  }
}

async function timing() {
  const route = await makeRouteHandler();
  const results = [];
  for (const review of reviews) {
    const responseBytes = checkAnswer(review.id, await handleCore(review.body));
    checkAnswer(review.id, await route(review.body));
    const distinct = distinctBodies(review.body);
    if (distinct) checkAnswer(`${review.id} (distinct)`, await handleCore(distinct()));
    const budget = budgetFor(review);
    const t = await timeInterleaved({
      core: { fn: handleCore, input: review.body },
      ...(distinct ? { distinct: { fn: handleCore, input: distinct } } : {}),
      route: { fn: route, input: review.body },
      floor: { fn: handleFloor, input: review.body },
    }, budget);
    results.push({
      id: review.id, file: review.file, size: review.body.length, responseBytes,
      iterations: { warmup: budget.warmupCalls, measured: t.core.n },
      ...t,
      breakdown: await engineBreakdown(review),
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
  const base = await overhead(quick ? 200 : 1000);
  const results = [];
  for (const review of reviews) {
    const calls = review.id === 'huge' ? (quick ? 5 : 20) : (quick ? 100 : 400);
    for (let i = 0; i < (quick ? 20 : 50); i++) { await handleCore(review.body); await route(review.body); }
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
