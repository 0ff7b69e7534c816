// @ts-check
// Where the time goes: profiles the in-process handling of one review (the `core` path of
// lib/handlers.js) with the V8 CPU profiler (node:inspector, the same sampling
// profiler as `node --cpu-prof`) and summarizes it: self time by function and by package,
// and inclusive time of the pipeline's own functions.
// Usage: node profile.js '{"fixturesDir":..., "file":"03-...json", "seconds":3}'
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import { handleCore as handleBody, readReviews } from '../lib/handlers.js';
import { BENCH_DIR } from '../lib/paths.js';

const input = JSON.parse(process.argv[2]);
const review = readReviews(input.fixturesDir).find((r) => r.file === input.file);
if (!review) throw new Error(`no review ${input.file} in ${input.fixturesDir}`);
const HARNESS_URL = pathToFileURL(path.join(BENCH_DIR, 'lib', 'handlers.js')).href;
const handleCore = () => handleBody(review.body);

const warmUntil = Date.now() + 1000;
while (Date.now() < warmUntil) await handleCore();
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
let calls = 0;
const until = Date.now() + (input.seconds ?? 3) * 1000;
while (Date.now() < until) { await handleCore(); calls++; }
const { profile } = await session.post('Profiler.stop');
session.disconnect();

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map();
const samples = profile.samples ?? [];
for (const s of samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const total = samples.length;

function where(frame) {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  const d = /\/dist\/([^/]+)\//.exec(url);
  if (d) return `dist/${d[1]}`;
  if (url.startsWith('node:')) return 'node internals';
  // V8 builtins (JSON.parse, JSON.stringify, Buffer/base64) show as self time of their caller.
  if (url === HARNESS_URL) return 'JSON.parse/JSON.stringify/Buffer (builtins called by the harness)';
  return path.basename(url);
}
const label = (frame) => (frame.url === HARNESS_URL ? where(frame) : `${frame.functionName || '(anonymous)'} (${where(frame)}${frame.url && !frame.url.startsWith('node:') ? `:${frame.lineNumber + 1}` : ''})`);

/** @param {number} id a node of the profile (every sample and parent names one) */
const nodeOf = (id) => /** @type {import('node:inspector').Profiler.ProfileNode} */ (nodes.get(id));
const selfByFunction = new Map();
const selfByPackage = new Map();
const inclusive = new Map();
for (const [id, count] of hits) {
  const frame = nodeOf(id).callFrame;
  selfByFunction.set(label(frame), (selfByFunction.get(label(frame)) ?? 0) + count);
  selfByPackage.set(where(frame), (selfByPackage.get(where(frame)) ?? 0) + count);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const name = nodeOf(cur).callFrame.functionName;
    if (name && !seen.has(name)) {
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + count);
    }
  }
}
const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, count]) => ({ name, share: count / total }));
const PIPELINE = [
  'decodeReview', 'admit', 'evaluatePod', 'decide', 'resolveSettings', 'templateContext', 'renderTemplatesCached', 'renderKey',
  'renderTemplates', 'buildPatch', 'encodeResponse', 'patchJson', 'responseJson',
];
process.stdout.write(`${JSON.stringify({
  file: input.file, calls, samples: total,
  selfByFunction: top(selfByFunction, 12),
  selfByPackage: top(selfByPackage, 8),
  inclusive: PIPELINE.filter((n) => inclusive.has(n)).map((name) => ({ name, share: inclusive.get(name) / total })),
})}\n`);
