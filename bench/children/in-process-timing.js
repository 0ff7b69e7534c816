// In-process timing: per review, the variants interleaved (see timeInterleaved) —
//   core      the route's work without HTTP (lib/handlers.js),
//   distinct  core with a different pod on every call (nothing reusable between calls),
//   route     the real fastify app through inject(),
//   floor     the baseline server's work —
// and the median of each engine stage run alone on the same input.
// Usage: node --expose-gc in-process-timing.js '{"fixturesDir":..., "quick":false}'
import { dist } from '../lib/paths.js';
import { summarizeNs } from '../lib/stats.js';
import {
  checkAnswer, decodeReview, deps, distinctBodies, encodeResponse, evaluatePod, handleCore, handleFloor,
  makeRouteHandler, readReviews, snapshot,
} from '../lib/handlers.js';

const input = JSON.parse(process.argv[2]);
const quick = Boolean(input.quick);
const reviews = readReviews(input.fixturesDir);

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
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
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
  // The share of one core this CPU-bound loop received: well below 1 means other
  // processes took turns on its core and the figures are inflated.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuShare = (cpu.user + cpu.system) / 1e3 / (Number(process.hrtime.bigint() - started) / 1e6);
  return { ...Object.fromEntries(entries.map((e) => [e.name, summarizeNs(e.samples)])), cpuShare };
}

function budgetFor(review) {
  const huge = review.id === 'huge';
  return quick
    ? { seconds: 1, block: huge ? 2 : 20, minCalls: huge ? 20 : 200, maxCalls: huge ? 200 : 5000, warmupCalls: huge ? 10 : 200 }
    : { seconds: 6, block: huge ? 5 : 50, minCalls: huge ? 200 : 2000, maxCalls: huge ? 2000 : 20000, warmupCalls: huge ? 50 : 1000 };
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

/**
 * The shape of each configured template, for the report: nodes JSON-e walks per render,
 * `$let`s, and how many nodes remain if every constant subtree (no `$` key, no `${` in
 * any string, more than two nodes) were replaced by one `$eval` of a precomputed value.
 */
function templateShapes() {
  const size = (v) => (v && typeof v === 'object' ? 1 + Object.values(v).reduce((n, x) => n + size(x), 0) : 1);
  const constant = (v) => (typeof v === 'string' ? !v.includes('${')
    : v === null || typeof v !== 'object' ? true
      : Array.isArray(v) ? v.every(constant)
        : Object.entries(v).every(([k, x]) => !k.startsWith('$') && !k.includes('${') && constant(x)));
  const lets = (v) => (v && typeof v === 'object' ? (Object.hasOwn(v, '$let') ? 1 : 0) + Object.values(v).reduce((n, x) => n + lets(x), 0) : 0);
  let subtrees = 0;
  const hoisted = (v) => {
    if (v && typeof v === 'object' && constant(v) && size(v) > 2) { subtrees++; return 2; } // {$eval: '…'}
    return v && typeof v === 'object' ? 1 + Object.values(v).reduce((n, x) => n + hoisted(x), 0) : 1;
  };
  return [...snapshot.templates.values()].map((t) => {
    subtrees = 0;
    const after = hoisted(t.source);
    return { name: t.name, nodes: size(t.source), lets: lets(t.source), constantSubtrees: subtrees, nodesAfterHoisting: after };
  });
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
  return { reviews: results, templates: templateShapes() };
}

process.stdout.write(`${JSON.stringify(await timing())}\n`);
