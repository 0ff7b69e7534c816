// @ts-check
// Bytes allocated per review, for the same variants as in-process-timing.js.
// Usage: node --expose-gc --min-semi-space-size=128 --max-semi-space-size=128 in-process-alloc.js '{"fixturesDir":..., "quick":false}'
import { PerformanceObserver, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { handleCore, handleFloor, makeRouteHandler, readReviews } from '../lib/handlers.js';

/** Node.js started with --expose-gc. */
const gc = /** @type {() => void} */ (globalThis.gc);
const input = JSON.parse(process.argv[2]);
const quick = Boolean(input.quick);
const reviews = readReviews(input.fixturesDir);

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
    gc();
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
  return { loopOverheadBytes: base.heapBytes, reviews: results };
}

process.stdout.write(`${JSON.stringify(await alloc())}\n`);
