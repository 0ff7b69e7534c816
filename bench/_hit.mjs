import { readReviews, decodeReview } from './lib/handlers.js';
import { profileHitStages, profileRender, PROFILES } from './lib/profile-renders.js';
import { DEFAULT_FIXTURES_DIR } from './lib/paths.js';
const reviews = readReviews(process.argv[2] ?? DEFAULT_FIXTURES_DIR);
const review = reviews.find((r) => r.id === 'typical');
const decoded = decodeReview(JSON.parse(review.body.toString('utf8')));
const pod = decoded.request.object;
const entries = {};
for (const p of PROFILES) {
  const render = await profileRender(p, pod, decoded.request.namespace ?? 'default');
  entries[`${p.id}/hit`] = () => render(pod);
  const h = await profileHitStages(p, pod, decoded.request.namespace ?? 'default');
  for (const [n, f] of Object.entries(h.stages)) entries[`${p.id}/${n}`] = f;
  console.log(p.id, 'key', h.keyChars);
}
const samples = Object.fromEntries(Object.keys(entries).map((k) => [k, []]));
for (let r = 0; r < 400; r++) for (const [k, f] of Object.entries(entries)) {
  for (let i = 0; i < 20; i++) { const s = process.hrtime.bigint(); f(); samples[k].push(Number(process.hrtime.bigint() - s)); }
}
for (const [k, v] of Object.entries(samples)) { v.sort((a, b) => a - b); console.log(k.padEnd(24), (v[v.length >> 1] / 1000).toFixed(2)); }
