// @ts-check
// In-process timing, every review, variant and engine stage interleaved in one session
// (see timeInterleaved) —
//   core      the route's work without HTTP (lib/handlers.js),
//   distinct  core with a different pod on every call (nothing reusable between calls),
//   route     the real fastify app through inject(),
//   floor     the baseline server's work —
// and each engine stage run alone on the same, already parsed input (and the body's
// nesting-depth check, on the bytes as captured and as the apiserver sends them).
// Usage: node --expose-gc in-process-timing.js '{"fixturesDir":..., "quick":false}'
import jsone from 'json-e';
import { loadProgram } from '../lib/program.js';
import { summarizeNs } from '../lib/stats.js';
import {
  checkAnswer, decodeReview, deps, distinctBodies, encodeResponse, evaluatePod, handleCore, handleFloor, responseJson,
  makeRouteHandler, readReviews, snapshot,
} from '../lib/handlers.js';
import { distinctPods, profileHitStages, profileRender, PROFILES } from '../lib/profile-renders.js';

const input = JSON.parse(process.argv[2]);
const quick = Boolean(input.quick);
const reviews = readReviews(input.fixturesDir);

/**
 * Times every entry in interleaved rounds (a block of calls of each entry in turn), so a
 * change in the machine's speed affects all of them alike. Each call is timed alone with
 * process.hrtime.bigint(). Rounds go on until `seconds` have passed and `minRounds` are
 * done, or `maxRounds` are done.
 * `entries`: name -> { fn, input, block } where input is a value or a function making one
 * per call, and block the calls per round.
 */
async function timeInterleaved(entries, { seconds, minRounds, maxRounds, warmupRounds }) {
  const list = Object.entries(entries).map(([name, v]) => ({
    name, fn: v.fn, block: v.block, next: typeof v.input === 'function' ? v.input : () => v.input, samples: /** @type {number[]} */ ([]),
  }));
  for (let r = 0; r < warmupRounds; r++) for (const e of list) for (let i = 0; i < e.block; i++) await e.fn(e.next());
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  for (let round = 1; ; round++) {
    for (const e of list) {
      for (let i = 0; i < e.block; i++) {
        const input = e.next();
        const start = process.hrtime.bigint();
        await e.fn(input);
        e.samples.push(Number(process.hrtime.bigint() - start));
      }
    }
    if (round >= maxRounds || (round >= minRounds && process.hrtime.bigint() > deadline)) break;
  }
  // The share of one core this CPU-bound loop received: well below 1 means other
  // processes took turns on its core and the figures are inflated.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuShare = (cpu.user + cpu.system) / 1e3 / (Number(process.hrtime.bigint() - started) / 1e6);
  return { times: Object.fromEntries(list.map((e) => [e.name, summarizeNs(e.samples)])), cpuShare };
}

const BUDGET = quick
  ? { seconds: 4, minRounds: 3, maxRounds: 200, warmupRounds: 2 }
  : { seconds: 24, minRounds: 10, maxRounds: 2000, warmupRounds: 5 };

/** Blocks per round: about the same time for each review, more calls for the cheap ones. */
const blockFor = (review, kind) => (review.id === 'huge' ? (kind === 'variant' ? 10 : 5) : (kind === 'variant' ? 100 : 20));

/** The engine's stages alone, on one review's already parsed input. */
async function engineStages(review) {
  const { decide } = await loadProgram('injection/decide.js');
  const { resolveSettings } = await loadProgram('injection/resolve-settings.js');
  const { readableMetadata } = await loadProgram('injection/pod-shape.js');
  const { renderTemplates, templateContext } = await loadProgram('injection/render.js');
  const { buildPatch } = await loadProgram('injection/patch.js');
  const { findTooDeep, valueNestsDeeper } = await loadProgram('server/json-depth.js');
  const { PARSE_FIRST_MAX_BYTES, parsesFirst } = await loadProgram('server/json-body.js');
  const { MAX_JSON_DEPTH } = await loadProgram('server/limit-defaults.js');
  const text = review.body.toString('utf8');
  // The captured files are indented; the apiserver sends the same review without spaces.
  const compact = Buffer.from(JSON.stringify(JSON.parse(text)));
  const decoded = decodeReview(JSON.parse(text));
  // The body's nesting-depth check as the server runs it (server/json-body.ts): a walk of
  // the parsed value for a small body, a scan of the bytes before parsing for a large one.
  const parsed = JSON.parse(text);
  const depthCheck = (/** @type {Buffer} */ bytes) => (parsesFirst(bytes.length)
    ? valueNestsDeeper(parsed, MAX_JSON_DEPTH) : findTooDeep(bytes, MAX_JSON_DEPTH));
  // The engine's input: a Pod CREATE (the reviews measured here are).
  const pod = /** @type {import('../../src/injection/types.js').Pod} */ (decoded.request.object);
  const ns = await deps.namespaces.get(decoded.request.namespace ?? 'default');
  const req = { kind: 'Pod', operation: 'CREATE' };
  const outcome = evaluatePod(pod, ns, snapshot, req);
  const resolution = resolveSettings(readableMetadata(pod), ns, snapshot);
  const stage = (fn) => ({ fn: async () => fn(), input: undefined, block: blockFor(review, 'stage') });
  return {
    patchBytes: JSON.stringify(outcome.patch).length,
    compactBytes: compact.length,
    parseFirstMaxBytes: PARSE_FIRST_MAX_BYTES,
    stages: {
      depth: stage(() => depthCheck(review.body)),
      depthCompact: stage(() => depthCheck(compact)),
      parse: stage(() => JSON.parse(text)),
      evaluatePod: stage(() => evaluatePod(pod, ns, snapshot, req)),
      decide: stage(() => decide(pod, ns, snapshot, req)),
      resolveSettings: stage(() => resolveSettings(readableMetadata(pod), ns, snapshot)),
      render: stage(() => renderTemplates(resolution.templates, snapshot, templateContext(pod, ns, resolution.settings, snapshot))),
      // The same render through json-e's own interpreter, as before templates were compiled (issue 15).
      renderJsone: stage(() => {
        const context = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (templateContext(pod, ns, resolution.settings, snapshot)));
        return resolution.templates.map((name) => jsone(/** @type {object} */ (snapshot.templates.get(name)?.source), context));
      }),
      buildPatch: stage(() => buildPatch(pod, /** @type {NonNullable<typeof outcome.plan>} */ (outcome.plan))),
      encode: stage(() => responseJson(encodeResponse(decoded.apiVersion, decoded.request.uid, { allowed: true, patch: outcome.patch, warnings: outcome.warnings }))),
    },
  };
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

/** The steps of a render-cache hit (profileHitStages), each timed alone; and each profile's key length. */
const HIT_STAGES = ['resolveSettings', 'probes', 'context', 'key', 'lookup'];
const keyChars = {};

/** Each profile's render on the typical review: cache miss and hit, beside each other. */
async function profileEntries(entries) {
  const review = reviews.find((r) => r.id === 'typical');
  if (!review) return [];
  const decoded = decodeReview(JSON.parse(review.body.toString('utf8')));
  const pod = /** @type {import('../../src/injection/types.js').Pod} */ (decoded.request.object);
  const ids = [];
  for (const profile of PROFILES) {
    const render = await profileRender(profile, pod, decoded.request.namespace ?? 'default');
    entries[`profile:${profile.id}/miss`] = { fn: async (p) => render(p), input: distinctPods(pod), block: 20 };
    entries[`profile:${profile.id}/hit`] = { fn: async (p) => render(p), input: pod, block: 20 };
    const hit = await profileHitStages(profile, pod, decoded.request.namespace ?? 'default');
    for (const [name, fn] of Object.entries(hit.stages)) entries[`profile:${profile.id}/hit:${name}`] = { fn: async () => fn(), input: pod, block: 20 };
    keyChars[profile.id] = hit.keyChars;
    ids.push(profile.id);
  }
  return ids;
}

async function timing() {
  const route = await makeRouteHandler();
  const entries = {};
  const facts = {};
  const profileIds = await profileEntries(entries);
  for (const review of reviews) {
    const responseBytes = checkAnswer(review.id, await handleCore(review.body));
    checkAnswer(review.id, await route(review.body));
    const distinct = distinctBodies(review.body);
    if (distinct) checkAnswer(`${review.id} (distinct)`, await handleCore(distinct()));
    const block = blockFor(review, 'variant');
    entries[`${review.id}/core`] = { fn: handleCore, input: review.body, block };
    if (distinct) entries[`${review.id}/distinct`] = { fn: handleCore, input: distinct, block };
    entries[`${review.id}/route`] = { fn: route, input: review.body, block };
    entries[`${review.id}/floor`] = { fn: handleFloor, input: review.body, block };
    let stages;
    try {
      stages = await engineStages(review);
      for (const [name, entry] of Object.entries(stages.stages)) entries[`${review.id}/stage:${name}`] = entry;
    } catch (err) {
      stages = { error: `breakdown unavailable: ${err.message}` };
    }
    facts[review.id] = { responseBytes, stages };
  }
  const { times, cpuShare } = await timeInterleaved(entries, BUDGET);
  const results = reviews.map((review) => {
    const t = (name) => times[`${review.id}/${name}`];
    const { stages } = facts[review.id];
    return {
      id: review.id, file: review.file, size: review.body.length, responseBytes: facts[review.id].responseBytes,
      iterations: { warmup: BUDGET.warmupRounds * blockFor(review, 'variant'), measured: t('core').n },
      core: t('core'), distinct: t('distinct'), route: t('route'), floor: t('floor'), cpuShare,
      breakdown: stages.error ? stages : {
        parseUs: t('stage:parse').medianUs, evaluatePodUs: t('stage:evaluatePod').medianUs, decideUs: t('stage:decide').medianUs,
        resolveSettingsUs: t('stage:resolveSettings').medianUs, renderUs: t('stage:render').medianUs, renderJsoneUs: t('stage:renderJsone').medianUs,
        buildPatchUs: t('stage:buildPatch').medianUs, encodeUs: t('stage:encode').medianUs, patchBytes: stages.patchBytes,
        depthUs: t('stage:depth').medianUs, depthCompactUs: t('stage:depthCompact').medianUs, compactBytes: stages.compactBytes, parseFirstMaxBytes: stages.parseFirstMaxBytes,
      },
    };
  });
  const profiles = profileIds.map((id) => ({
    id, review: 'typical', miss: times[`profile:${id}/miss`], hit: times[`profile:${id}/hit`], keyChars: keyChars[id],
    hitStages: Object.fromEntries(HIT_STAGES.map((stage) => [stage, times[`profile:${id}/hit:${stage}`]?.medianUs])),
  }));
  return { reviews: results, templates: templateShapes(), profiles };
}

process.stdout.write(`${JSON.stringify(await timing())}\n`);
