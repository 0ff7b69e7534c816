// @ts-check
// Turns one run's results into markdown: the summary table printed to the terminal, and
// the full BENCHMARKS.md (machine, method, every table, targets, and the measured causes
// of misses).
import { bytes, count, duration, ms, rate, ratio, table } from './format.js';
import { causesOfMisses } from './causes.js';
import { cpuProfileSection } from './report-cpu.js';
import { memorySection } from './report-memory.js';
import { imageEnvironment, imageNodeOptions, imageProgram } from './image-options.js';
import { REPO_ROOT } from './paths.js';
import path from 'node:path';
import { cpuPerRequestUs } from './stats.js';
import { FASTIFY_FLOOR, INJECTOR as INJ, PATCH_BASELINE as PATCH } from '../sections/https.js';

const REVIEW_LABEL = { small: 'small (01, 3.7 KB)', typical: 'typical (03, 13 KB)', huge: 'huge (08, 390 KB)' };
const label = (id) => REVIEW_LABEL[id] ?? id;

/** The table with the ratios: injector against the baseline measured in the same run. */
/** Creates the apiserver refused with an answer to try again during section 4 (retried). */
function retriedLines(retried) {
  if (!retried?.length) return [];
  return [`The apiserver refused ${count(retried.length)} create${retried.length === 1 ? '' : 's'} (warm-up included) with an answer to try again (${[...new Set(retried.map((r) => `HTTP ${r.status} ${r.reason ?? ''}: "${r.message}"`))].join('; ')}); each was tried again after the wait the answer asked for (1 s when it named none), and its latency above includes the refused attempt and the wait.`, ''];
}

export function summaryTable(results) {
  const rows = [];
  for (const r of results['in-process']?.reviews ?? []) {
    rows.push([`in-process median (${r.id})`, duration(r.core.medianUs), duration(r.floor.medianUs), ratio(r.core.medianUs / r.floor.medianUs)]);
  }
  for (const r of results.https?.reviews ?? []) {
    const s = r.saturation;
    rows.push([`HTTPS req/s at saturation (${r.id})`, rate(s[INJ].rps), rate(s.baseline.rps), ratio(s[INJ].rps / s.baseline.rps)]);
    const p = s[PATCH];
    if (p) rows.push([`HTTPS req/s at saturation (${r.id}), baseline answering the injector's patch`, rate(s[INJ].rps), rate(p.rps), ratio(s[INJ].rps / p.rps)]);
  }
  for (const r of results.https?.reviews ?? []) {
    for (const [offered, pair] of Object.entries(r.rates)) {
      const cell = (x) => (x.overCapacity ? 'over capacity' : `${ms(x.latencyMs.p50)} / ${ms(x.latencyMs.p99)}`);
      const both = !pair[INJ].overCapacity && !pair.baseline.overCapacity;
      rows.push([`HTTPS p50 / p99 at ${offered} req/s (${r.id})`, cell(pair[INJ]), cell(pair.baseline),
        both ? `${ratio(pair[INJ].latencyMs.p50 / pair.baseline.latencyMs.p50)} / ${ratio(pair[INJ].latencyMs.p99 / pair.baseline.latencyMs.p99)}` : 'n/a']);
      const withPatch = pair[PATCH];
      if (withPatch) {
        const fine = !pair[INJ].overCapacity && !withPatch.overCapacity;
        rows.push([`HTTPS p50 / p99 at ${offered} req/s (${r.id}), baseline answering the injector's patch`, cell(pair[INJ]), cell(withPatch),
          fine ? `${ratio(pair[INJ].latencyMs.p50 / withPatch.latencyMs.p50)} / ${ratio(pair[INJ].latencyMs.p99 / withPatch.latencyMs.p99)}` : 'n/a']);
      }
    }
  }
  const memory = results.memory;
  if (memory) {
    const last = memory.samples.at(-1);
    rows.push([`RSS after ${count(last.requests)} requests (typical)`, bytes(last.rss), bytes(memory.baselineRss), ratio(last.rss / memory.baselineRss)]);
    const kubeLast = memory.kube?.samples?.at(-1);
    if (kubeLast) rows.push([`RSS after ${count(kubeLast.requests)} requests, with Kubernetes access`, bytes(kubeLast.rss), bytes(memory.baselineRss), ratio(kubeLast.rss / memory.baselineRss)]);
  }
  return table(['measure', 'injector', 'baseline', 'injector / baseline'], rows);
}

export function targetsTable(targets) {
  const verdict = (met) => (met === undefined ? 'not measured' : met ? '**met**' : '**missed**');
  return table(['target', 'measured', 'verdict'], targets.map((t) => [t.target, t.measured ?? '—', verdict(t.met)]));
}

/** Issue 13: each profile's render on the typical review, cache miss and hit. */
function profilesSection(profiles) {
  if (!profiles?.length) return [];
  const rows = profiles.map((p) => [p.id, `${duration(p.miss.medianUs)} / ${duration(p.miss.p99Us)}`, `${duration(p.hit.medianUs)} / ${duration(p.hit.p99Us)}`]);
  return [
    `Render by profile (the ${profiles[0].review} review; resolveSettings, probe rewriting, templateContext and renderTemplatesCached, as the engine runs them; a 1.33 cluster, native sidecars on): a cache miss is a different pod every call (the first pod of a workload), a hit the same pod again (its replicas).`,
    '',
    table(['profile', 'cache miss: median / p99', 'cache hit: median / p99'], rows),
    '',
    ...hitStagesSection(profiles),
  ];
}

/** The steps of a cache hit, each timed alone (the causes of the istio-render-hit target). */
function hitStagesSection(profiles) {
  const stages = Object.keys(profiles[0].hitStages ?? {});
  if (stages.length === 0) return [];
  const rows = stages.map((stage) => [stage, ...profiles.map((p) => duration(p.hitStages[stage]))]);
  rows.push(['key length', ...profiles.map((p) => `${p.keyChars} characters`)]);
  return [
    'The steps of a cache hit, each timed alone in the same rounds (medians; resolveSettings, probe rewriting, templateContext, building the render key, looking it up):',
    '',
    table(['step', ...profiles.map((p) => p.id)], rows),
    '',
  ];
}

function inProcessSection(r) {
  const rows = r.reviews.map((x) => [
    label(x.id), duration(x.core.medianUs), duration(x.core.p99Us), x.distinct ? `${duration(x.distinct.medianUs)} / ${duration(x.distinct.p99Us)}` : 'n/a', duration(x.route.medianUs), duration(x.route.p99Us),
    duration(x.floor.medianUs), ratio(x.core.medianUs / x.floor.medianUs),
    x.alloc?.core?.heapBytes !== undefined ? `${bytes(x.alloc.core.heapBytes)} + ${bytes(x.alloc.core.offHeapBytes)}` : 'n/a',
    x.alloc?.route?.heapBytes !== undefined ? `${bytes(x.alloc.route.heapBytes)} + ${bytes(x.alloc.route.offHeapBytes)}` : 'n/a',
    x.alloc?.floor?.heapBytes !== undefined ? bytes(x.alloc.floor.heapBytes) : 'n/a',
    x.cpuShare !== undefined ? `${Math.round(100 * x.cpuShare)} %` : 'n/a',
  ]);
  const breakdown = r.reviews.filter((x) => !x.breakdown?.error).map((x) => {
    const b = x.breakdown;
    return [label(x.id), b.depthUs !== undefined ? `${duration(b.depthUs)} / ${duration(b.depthCompactUs)} (${bytes(b.compactBytes)})` : 'n/a', duration(b.parseUs), duration(b.evaluatePodUs), duration(b.decideUs), duration(b.resolveSettingsUs),
      `${duration(b.renderUs)}${b.renderJsoneUs ? ` (json-e: ${duration(b.renderJsoneUs)})` : ''}`, duration(b.buildPatchUs), duration(b.encodeUs), bytes(b.patchBytes)];
  });
  const its = r.reviews.map((x) => `${x.id}: ${count(x.iterations.measured)} after ${count(x.iterations.warmup)} warm-up`).join('; ');
  const ns = r.namespaceCache;
  return [
    '## 1. In-process: one review, bytes in to bytes out',
    '',
    '- **core**: `JSON.parse(bytes)` → `decodeReview` → `admit` (real engine, built-in templates, namespace labelled `sidecar-injection=enabled`, as `serve --standalone` wires it) → `encodeResponse` → `responseJson`: exactly what the `/inject` route does, without the HTTP framework. The same review each call, so after the first one the render comes from the engine\'s render cache, as for every replica of a workload.',
    '- **core, distinct pods**: the same, but every call gets a different pod (a label `bench-distinct: N` spliced into its labels), so nothing worked out for one pod can be reused for the next: every call misses the render cache, as the first pod of each workload (or of each workload after a configuration change) does.',
    '- **route**: the same body through the real fastify app (`buildApp`) with `app.inject()`: content-type parsing, hooks, the admission log line (to /dev/null), metrics, serialization (plus light-my-request\'s fake socket, which production does not have).',
    '- **floor**: `JSON.parse(bytes)` and a stringified `allowed: true` answer: the baseline server\'s work.',
    `- Each call timed alone with \`process.hrtime.bigint()\`; all reviews, variants and engine stages run interleaved in one session (a block of each in turn) so that a change in the machine's load affects all of them alike; ${its}. "CPU received" is the share of a core the measuring process got while timing (CPU time ÷ wall time of a CPU-bound loop): well below 100 % means other processes took turns on its core and the times are inflated (it cannot see a busy sibling hyperthread or neighbour, which also slows it).`,
    '- **Allocated per review**: JS heap bytes + off-heap (Buffer) bytes. Method: V8 keeps every object allocated since the last collection in `used_heap_size` until the next collection, so a forced full GC, K calls, and the `used_heap_size` difference ÷ K is what one call allocated (garbage included) — provided no collection ran in between. The measuring child runs with a 128 MiB young generation so K calls fit, and a `PerformanceObserver` on `gc` entries proves no collection ran in the window (a window with one is discarded and retried with fewer calls). The loop\'s own cost (an empty async call) is subtracted.',
    '',
    table(['review', 'core median', 'core p99', 'core, distinct pods: median / p99', 'route median', 'route p99', 'floor median', 'core / floor', 'allocated (core)', 'allocated (route)', 'allocated (floor)', 'CPU received'], rows),
    '',
    'Where the core time goes (median of each stage run alone on the same input):',
    '',
    table(['review', 'nesting-depth check: as captured (indented) / compact, as the apiserver sends it (its size)', 'JSON.parse', 'evaluatePod (render from the cache)', 'decide', 'resolveSettings', 'renderTemplates without the cache, compiled (json-e interpreting the same templates)', 'buildPatch', 'encode (encodeResponse + responseJson)', 'patch size'], breakdown),
    '',
    ...profilesSection(r.profiles),
    ns ? `Namespace cache footprint, in-process: the real \`NamespaceCache\` fed by a scripted API with ${count(ns.namespaces)} namespaces shaped like \`kubectl apply\`'d ones (3 labels, 2 annotations, the last-applied copy, managedFields): ${bytes(ns.heapBytes)} of heap after a full GC, ${bytes(ns.perNamespaceBytes)} per namespace.` : '',
  ].join('\n');
}

function httpsSection(r, plan) {
  const sat = r.reviews.map((x) => {
    const i = x.saturation[INJ];
    const b = x.saturation.baseline;
    const p = x.saturation[PATCH];
    // Ratios: the median of the rounds' own ratios when the servers took turns over rounds.
    const over = (name, other) => ratio(x.saturationRatios?.[name]?.median ?? i.rps / other.rps);
    return [label(x.id), rate(i.rps), rate(b.rps), over('baseline', b), p ? `${rate(p.rps)} (${over(PATCH, p)})` : 'n/a',
      `${duration(cpuPerRequestUs(i))} / ${duration(cpuPerRequestUs(b))}${p ? ` / ${duration(cpuPerRequestUs(p))}` : ''}`, `${ms(i.latencyMs.p50)} / ${ms(i.latencyMs.p99)}`, `${ms(b.latencyMs.p50)} / ${ms(b.latencyMs.p99)}`,
      `${Math.round(100 * (i.serverCpu ?? NaN))} % / ${Math.round(100 * (b.serverCpu ?? NaN))} %`, `${Math.round(100 * i.clientCpu)} % / ${Math.round(100 * b.clientCpu)} %`,
      String(i.errors + i.non2xx + b.errors + b.non2xx)];
  });
  const rates = [];
  for (const x of r.reviews) {
    for (const [offered, pair] of Object.entries(x.rates)) {
      const cells = (y) => (y.overCapacity ? ['over capacity', '—', '—'] : [`${ms(y.latencyMs.p50)} / ${ms(y.latencyMs.p99)}`, ms(y.latencyMs.max), rate(y.achievedRps)]);
      const both = !pair[INJ].overCapacity && !pair.baseline.overCapacity;
      rates.push([label(x.id), rate(Number(offered)), ...cells(pair[INJ]), ...cells(pair.baseline).slice(0, 1),
        both ? ratio(x.p99Ratios?.[offered]?.baseline?.median ?? pair[INJ].latencyMs.p99 / pair.baseline.latencyMs.p99) : 'n/a',
        both ? `${ms(pair[INJ].issueLatenessMs.p99)}` : '—',
        both ? String(pair[INJ].errors + pair[INJ].non2xx + pair[INJ].skipped + pair.baseline.errors + pair.baseline.non2xx + pair.baseline.skipped) : '—',
        pair[PATCH] ? `${cells(pair[PATCH])[0]}${!pair[INJ].overCapacity && !pair[PATCH].overCapacity ? ` (${ratio(x.p99Ratios?.[offered]?.[PATCH]?.median ?? pair[INJ].latencyMs.p99 / pair[PATCH].latencyMs.p99)})` : ''}` : 'not run']);
    }
  }
  const s = r.settings;
  return [
    '## 2. HTTPS keep-alive: the real `serve` process against a baseline, same run',
    '',
    `- **injector**: \`${['node', ...imageNodeOptions()].join(' ')} ${path.relative(REPO_ROOT, imageProgram())} serve --standalone --namespace-labels sidecar-injection=enabled --config-dir templates --tls-cert-file … --tls-key-file …\`, logging at info (one line per admission) to a file. The program is the image's: the Dockerfile's ENTRYPOINT, the CLI bundled by \`npm run build\` (scripts/bundle-image.js). ${imageNodeOptions().length > 0 ? `The Node.js options are the image's (the Dockerfile's \`ENV NODE_OPTIONS\`), and so is the environment (${Object.entries(imageEnvironment()).map(([k, v]) => `\`${k}=${v}\``).join(', ') || 'none'}), for the baselines too, here and in sections 3 and 4.` : 'No Node.js options: the image sets none (were the Dockerfile to set `NODE_OPTIONS`, every server here would run with them).'}`,
    '- **baseline**: `bench/children/baseline-server.js`, a minimal `node:https` server that reads the body, `JSON.parse`s it and answers `allowed: true` with the uid.',
    `- **baseline with patch** (saturation, and the fixed rates on the typical review): the same server, every answer carrying the injector's own patch for the typical review (${r.patchBytes ? bytes(r.patchBytes) : 'its size'} of JSONPatch, base64 in the answer): what answering that many bytes costs by itself.`,
    '- **fastify floor** (saturation, typical review): `bench/children/fastify-floor-server.js`, fastify 5 with one POST route, its own JSON parser and no logger, answering the same patch: what the decided framework costs by itself.',
    '- All use the same ECDSA P-256 certificate (made by `src/certs/generate.ts`), TLS ≥ 1.2, keep-alive; they run one at a time, alternating review by review.',
    `- CPU: ${plan.describe}.`,
    `- **Saturation**: autocannon 8 in its own process, ${s.connections} keep-alive connections, closed loop, ${s.saturationRounds > 1 ? `${s.saturationRounds} rounds of ${s.saturationS} s per server and review, the servers taking turns within each round (this machine's speed drifts within a minute), after a ${s.warmupS} s warm-up; each server's figures are from its median round, and each ratio is the median of the rounds' own ratios` : `${s.saturationS} s per server and review after a ${s.warmupS} s warm-up`}. autocannon rounds latencies to whole milliseconds, so its p50/p99 are coarse; the fixed-rate figures are exact.`,
    `- **Fixed offered rates**: \`bench/children/paced.js\` in its own process, open loop: request *i* is issued at start + *i*/rate whether earlier ones were answered or not (as the apiserver does), over up to 16 keep-alive connections; latency from issue to the last byte of the answer, \`hrtime\` nanoseconds; ${s.rateS} s measured after 1 s of warm-up. autocannon's own rate limit is not used because it sends each second's budget back to back and then idles (bursts, not a rate). A rate above 90 % of a server's saturation throughput is not run ("over capacity").${s.rateRounds > 1 ? ` The typical review at 500 req/s (the rate issue 15 judges) runs ${s.rateRounds} rounds, the servers taking turns: each server's row is its median round by p99, and the p99 ratios on that row are the medians of the rounds' own ratios.` : ''} "client late p99" is how late the client issued requests (timer granularity): it bounds the client's own error.`,
    '',
    table(['review', 'injector req/s', 'baseline req/s', 'injector / baseline', 'baseline with patch req/s (injector / it)', 'server CPU per request: injector / baseline / with patch', 'injector p50 / p99 (autocannon)', 'baseline p50 / p99 (autocannon)', 'server CPU injector / baseline', 'client CPU', 'errors'], sat),
    '',
    ...fastifyFloorLines(r),
    table(['review', 'offered', 'injector p50 / p99', 'injector max', 'injector achieved', 'baseline p50 / p99', 'p99 injector / baseline', 'client late p99', 'errors', 'baseline with patch p50 / p99 (p99 injector / it)'], rates),
  ].join('\n');
}

/** The fastify floor's saturation row (typical review), beside the injector's and the bare floor's. */
function fastifyFloorLines(r) {
  const typical = r.reviews.find((x) => x.id === 'typical');
  const sat = typical?.saturation;
  const f = sat?.[FASTIFY_FLOOR];
  if (!f) return [];
  const cpu = (x) => duration(cpuPerRequestUs(x));
  const over = typical.saturationRatios?.[FASTIFY_FLOOR]?.median;
  return [`fastify floor, typical review: ${rate(f.rps)} at saturation, server CPU ${cpu(f)} per request (bare floor with the same patch: ${cpu(sat[PATCH])}; injector: ${cpu(sat[INJ])}${over ? `, ${ratio(over)} of the fastify floor's rate` : ''}).`, ''];
}

/** Round by round (the turns were interleaved): each server's mean, and the injector's over the same-patch server's. */
function perRound(t) {
  const rounds = t.injector.rounds;
  if (!rounds?.length) return '';
  const cells = rounds.map((r, i) => {
    const [p, n] = [t['floor-patch'].rounds[i], t['floor-no-patch'].rounds[i]];
    return `round ${i + 1}: ${ms(r.meanMs)} / ${ms(p.meanMs)} / ${ms(n.meanMs)} (${ratio(r.meanMs / p.meanMs)})`;
  });
  return `Mean per round, injector / same patch / no patch (injector ÷ same patch): ${cells.join('; ')}.`;
}

/** Section 4's comparison with bare servers registered the same way, or '' for runs before it existed. */
function attributionText(a) {
  const t = a.attribution?.targets;
  if (!t) return '';
  const mean = (h) => (h.count > 0 ? (h.sum / h.count) * 1000 : NaN);
  const share = (h) => `${Math.round((100 * (h.buckets['0.005'] ?? 0)) / Math.max(1, h.count))} %`;
  const names = { injector: 'the injector', 'floor-patch': 'bare server, same patch', 'floor-no-patch': 'bare server, no patch' };
  const rows = Object.entries(t).map(([id, x]) => [
    names[id] ?? id, count(x.histogram.count), share(x.histogram), ms(mean(x.histogram)),
    ms(x.cpuMsPerCall.apiserver), ms(x.cpuMsPerCall.etcd), ms(x.cpuMsPerCall.webhook),
    x.connections ? count(x.connections.opened) : 'n/a',
  ]);
  const [inj, withPatch, noPatch] = [t.injector, t['floor-patch'], t['floor-no-patch']].map((x) => mean(x.histogram));
  const own = a.injectorHistogram ? mean(a.injectorHistogram) : NaN;
  return [
    `Where the apiserver's time goes: the same webhook registration (renamed, so the apiserver's histogram tells them apart) was also answered by \`bench/children/baseline-server.js\`, once answering the injector's own patch (${bytes(a.attribution.patchBytes)} of JSONPatch, ${a.attribution.patchOps} operations) and once answering no patch. The three took turns, ${a.settings.rounds} rounds of ${count(a.attribution.blockPods)} + ${count(a.attribution.blockPods)} pods each after ${a.settings.warmupPods} + ${a.settings.warmupPods} warm-up pods (${a.settings.firstWarmupPods ?? a.settings.warmupPods} + ${a.settings.firstWarmupPods ?? a.settings.warmupPods} before a server's first turn; the injector's rows above are its three turns together). CPU is per webhook call, from /proc, over the whole turn (so it includes the plain namespace's creates); "connections opened" counts the webhook port's new established sockets and TIME-WAIT entries (\`ss\`) across the measured creates.`,
    '',
    table(['webhook answered by', 'calls', '≤ 5 ms', 'mean', 'apiserver CPU/call', 'etcd CPU/call', 'webhook CPU/call', 'connections opened'], rows),
    '',
    perRound(t),
    '',
    `Of the injector's mean ${ms(inj)}: ${ms(noPatch)} is what the apiserver spends on a call to a server that answers at once with no patch (encoding the review, the round trip on a kept-alive connection, decoding the answer); applying the ${bytes(a.attribution.patchBytes)} patch (decode it, encode the pod, apply, decode and default the larger pod) adds ${ms(withPatch - noPatch)}; the injector itself ${inj >= withPatch ? `adds ${ms(inj - withPatch)} over` : `came out ${ms(withPatch - inj)} below`} a bare server answering the same bytes (turn-to-turn noise: see the rounds), while its own histogram (headers read to answer written) has a mean of ${ms(own)}.`,
  ].join('\n');
}

function apiserverSection(a) {
  const p = a.pods;
  const rows = [
    ['opted-in namespace (webhook called)', count(p.injected.n), duration(p.injected.medianUs), duration(p.injected.p99Us), duration(p.injected.maxUs), String(p.injected.wrong)],
    ['namespace not selected (no call)', count(p.plain.n), duration(p.plain.medianUs), duration(p.plain.p99Us), duration(p.plain.maxUs), String(p.plain.wrong)],
    ['**added by the webhook**', '', `**${duration(p.injected.medianUs - p.plain.medianUs)}**`, `**${duration(p.injected.p99Us - p.plain.p99Us)}**`, '', ''],
  ];
  const order = (b) => Object.keys(b).sort((x, y) => (x === '+Inf' ? 1 : y === '+Inf' ? -1 : Number(x) - Number(y)));
  const h = a.apiserverHistogram;
  const hRows = order(h.buckets).map((le) => [le === '+Inf' ? '+Inf' : `≤ ${ms(Number(le) * 1000)}`, count(h.buckets[le]), `${Math.round((100 * h.buckets[le]) / Math.max(1, h.count))} %`]);
  const o = a.injectorHistogram;
  const oRows = order(o.buckets).filter((le) => le === '+Inf' || Number(le) <= 0.1).map((le) => [le === '+Inf' ? '+Inf' : `≤ ${ms(Number(le) * 1000)}`, count(o.buckets[le]), `${Math.round((100 * o.buckets[le]) / Math.max(1, o.count))} %`]);
  const nc = a.namespaceCache;
  const mem = (x) => `RSS ${bytes(x.memory.rss)}, heap after GC ${bytes(x.memory.after.heapUsed)}`;
  return [
    '## 4. Through a real apiserver',
    '',
    `\`test/e2e/cluster/kube-up\` (Kubernetes v1.20, etcd, no controllers) on its own ports; the injector runs with \`--kubeconfig\` (real namespace informer, config from \`templates/\`), registered with the selectors of \`deploy/base/webhook.yaml\` and \`clientConfig.url: https://127.0.0.1:PORT/inject\` + \`caBundle\`. ${a.settings.clients} clients, each on its own keep-alive connection with the kubeconfig's token, create ${count(a.settings.pods)} pods (the typical review's pod) in \`bench-injected\` (labelled \`sidecar-injection=enabled\`) and ${count(a.settings.pods)} in \`bench-plain\` (not selected: no webhook call), interleaved, after ${a.settings.warmupPods} warm-up pods per namespace. Latency is per create call as the client sees it. Nothing is pinned here: apiserver, etcd, injector and clients share the cores. The "wrong" column counts pods whose sidecar presence did not match the namespace (must be 0). The difference also includes storing the larger, injected pod.`,
    '',
    table(['pods created in', 'pods', 'p50', 'p99', 'max', 'wrong'], rows),
    '',
    ...retriedLines(p.retried),
    `The apiserver's own \`apiserver_admission_webhook_admission_duration_seconds\` for \`namespace.sidecar-injector.io\` over the measured creates (cumulative buckets; mean ${ms((h.sum / Math.max(1, h.count)) * 1000)}):`,
    '',
    table(['bucket', 'calls', 'share'], hRows),
    '',
    `The injector's own \`sidecar_injector_request_duration_seconds\` over the same creates (mean ${ms((o.sum / Math.max(1, o.count)) * 1000)}):`,
    '',
    table(['bucket', 'calls', 'share'], oRows),
    '',
    attributionText(a),
    '',
    a.shutdown ? `After the creates, with the apiserver's keep-alive connections still open, SIGTERM stopped the injector in ${count(a.shutdown.ms)} ms (exit ${a.shutdown.code ?? a.shutdown.signal}).` : '',
    '',
    `Namespace cache in the real process: an injector started with ${count(nc.few.namespaces)} namespaces in the cluster (${mem(nc.few)}), and another started after ${count(nc.many.namespaces - nc.few.namespaces)} more namespaces were created through the API (${count(nc.many.namespaces)} listed into its cache: ${mem(nc.many)}); both measured after the same ${count(nc.directRequests)} direct reviews spread over the namespaces. Heap difference: ${bytes(nc.many.memory.after.heapUsed - nc.few.memory.after.heapUsed)}.`,
  ].join('\n');
}

export function fullReport({ results, machine, plan, options, targets, startedAt, finishedAt, loadAfter }) {
  const parts = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\`${options.quick ? ' -- --quick' : ''} (bench/run.js) on ${startedAt.slice(0, 10)}; the run took ${Math.round((Date.parse(finishedAt) - Date.parse(startedAt)) / 1000)} s. Every ratio compares the injector with a baseline measured in the same run. Targets come from issues 5, 13 and 15 and are measured here, never asserted in tests.`,
    '',
    '## Machine',
    '',
    `- CPU: ${machine.cpuModel}, ${machine.cores} cores; memory ${machine.memoryGiB} GiB`,
    `- Node.js ${machine.node} (V8 ${machine.v8}); ${machine.os}`,
    `- Load average (1, 5, 15 min) at the start: ${machine.loadAverage.join(', ')}; at the end: ${loadAfter.join(', ')}`,
    `- Placement: ${plan.describe}`,
    '',
    '## Summary',
    '',
    summaryTable(results),
    '',
    '## Targets',
    '',
    targetsTable(targets),
    '',
  ];
  const causes = causesOfMisses(results, targets);
  if (causes) parts.push(causes, '');
  if (results['in-process']) parts.push(inProcessSection(results['in-process']), '');
  if (results.https) parts.push(httpsSection(results.https, plan), '');
  if (results['cpu-profile']) parts.push(cpuProfileSection(results['cpu-profile']), '');
  if (results.memory) parts.push(memorySection(results.memory, results.footprint), '');
  if (results.apiserver) parts.push(apiserverSection(results.apiserver), '');
  for (const [name, err] of Object.entries(results.failed ?? {})) parts.push(`**Section ${name} failed**: ${err}`, '');
  for (const [name, why] of Object.entries(results.skipped ?? {})) parts.push(`Section ${name} was not run: ${why}.`, '');
  return `${parts.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}
