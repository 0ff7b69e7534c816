// @ts-check
// For each missed target: what this run measured about the cause (stage breakdown, CPU
// profile of the in-process path, CPU per request against both baselines, module
// footprints, the injector's own latency histogram next to the apiserver's), and what
// has been done about it and what is left.
import { bytes, duration, ms } from './format.js';
import { cpuPerRequestUs } from './stats.js';
import { RSS_LIMIT_MIB } from './targets.js';
import { FASTIFY_FLOOR, INJECTOR, PATCH_BASELINE } from '../sections/https.js';

const pct = (x) => `${Math.round(100 * x)} %`;

function profileLines(profile) {
  if (!profile || profile.error) return [];
  const inc = Object.fromEntries(profile.inclusive.map((x) => [x.name, x.share]));
  const pkg = profile.selfByPackage.map((p) => `${p.name} ${pct(p.share)}`).join(', ');
  const fns = profile.selfByFunction.slice(0, 8).map((f) => `\`${f.name}\` ${pct(f.share)}`).join(', ');
  const part = (name) => `\`${name}\` ${pct(inc[name] ?? 0)}`;
  return [
    `CPU profile of the in-process path on ${profile.file} (V8's sampling profiler, the one behind \`--cpu-prof\`; ${profile.calls.toLocaleString('en-US')} calls, the same review each time, so renders come from the cache): inclusive ${part('evaluatePod')} (of which ${part('renderTemplatesCached')}, ${part('renderKey')}), ${part('encodeResponse')}, ${part('responseJson')}, ${part('decodeReview')}. Self time by package: ${pkg}. Top functions by self time: ${fns}.`,
    '',
  ];
}

function renderLines(typical, shapes, missed) {
  const t = shapes?.[0];
  const b = typical?.breakdown;
  const lines = [
    '**Done**: JSON-e interpreting the whole sidecar template on every request' +
      (t ? ` (${t.nodes} nodes, ${t.lets} nested \`$let\`s)` : '') +
      ' was the first cause (about 0.8 ms and half a megabyte allocated per review). Two changes removed most of it. Rendered fragments are kept per configuration version (src/injection/render-cache.ts), keyed on exactly the context fields the templates read, so every replica of a workload after the first is a lookup. And each template is compiled once per configuration version into closures (src/injection/template-compile.ts and its siblings): expressions parsed once with json-e\'s own parser, constant subtrees computed once, `$let` and loop scopes chained instead of copied, proven equal to `jsone()` on every golden, captured review, Istio corpus pod and 4,000 random templates' +
      (b?.renderJsoneUs ? ` (a render without the cache in this run: ${duration(b.renderJsoneUs)} with json-e, ${duration(b.renderUs)} compiled)` : '') + '.',
    '',
  ];
  if (typical?.distinct && missed.has('render-miss')) {
    lines.push(`**Left**: a pod whose templates see a context not met before (the first pod of a workload, or any pod after a configuration change) renders: ${duration(typical.distinct.medianUs)} median for the typical review ("distinct pods" column of section 1), against ${duration(typical.core.medianUs)} from the cache. What remains on that path is copying and freezing the rendered fragment for the cache, the Envoy bootstrap's \`$json\`, and the garbage of both.`, '');
  }
  return lines;
}

/** Issue 15: the stages of section 2b that the injector spends more on than the floor, largest first. */
function cpuProfileLines(r) {
  if (!r?.injector) return ' No CPU profile of `serve` was taken in this run (section cpu-profile).';
  const floor = Object.fromEntries(r.baseline.stages.map((x) => [x.id, x.usPerRequest]));
  const extra = r.injector.stages.map((x) => ({ ...x, extra: x.usPerRequest - (floor[x.id] ?? 0) })).filter((x) => x.extra > 0).sort((a, b) => b.extra - a.extra);
  return ` Section 2b attributes the CPU of both under \`node --cpu-prof\`; what the injector spends beyond the floor, by stage: ${extra.slice(0, 8).map((x) => `${x.id} ${duration(x.extra)}`).join(', ')}. The engine and the encoding of the answer are the admission itself; the rest is the framework, the log line and the checks every request passes.${budgetLine(r, floor)}`;
}

/**
 * Why the injector's own time per apiserver call (`ownMean`, ms, from its histogram) is what it is: its CPU per call in those
 * turns (from /proc, section 4) against the same server's CPU per request at saturation
 * (section 2), and the same for the bare server answering the same patch.
 */
function apiserverCallCost(ownMean, floors, sat) {
  const [injCall, floorCall] = [floors.injector?.cpuMsPerCall?.webhook, floors['floor-patch']?.cpuMsPerCall?.webhook];
  const [injSat, floorSat] = [sat[INJECTOR], sat[PATCH_BASELINE]].map((x) => (x ? cpuPerRequestUs(x) / 1000 : NaN));
  if (![injCall, floorCall, injSat, floorSat].every((x) => Number.isFinite(x) && x > 0)) return undefined;
  const times = (x) => `${x.toFixed(1)}×`;
  return `Where the injector's own ${ms(ownMean)} goes: most of it is CPU. Over these turns the injector used ${ms(injCall)} of CPU per call (section 4's table: the whole turn, from /proc, so its background work is in it too), the bare server answering the same patch ${ms(floorCall)}. These are ${times(injCall / injSat)} and ${times(floorCall / floorSat)} their CPU per request at saturation (section 2: ${duration(injSat * 1000)} and ${duration(floorSat * 1000)}): served one at a time among the apiserver's and etcd's threads, a request costs both servers far more than in a stream. Their ratio is ${times(injCall / floorCall)} here and ${times(injSat / floorSat)} at saturation: the apiserver's calls cost the injector no more, against the bare server, than a stream of requests does, so its share of this target moves with its CPU per request, the cost the HTTPS target measures.`;
}

/** What 0.9x the floor's throughput leaves for the injector's own work, against what that work costs. */
function budgetLine(r, floor) {
  const floorTotal = Object.values(floor).reduce((a, b) => a + b, 0);
  const own = (id) => r.injector.stages.find((x) => x.id === id)?.usPerRequest ?? 0;
  const admission = own('engine') + own('encode') + own('decode');
  const required = own('log') + own('depth');
  if (!(floorTotal > 0)) return '';
  return ` To serve 0.9× the floor's requests the injector may spend ${duration(floorTotal / 0.9 - floorTotal)} per request beyond the floor; the admission itself (decode, engine, encode) takes ${duration(admission)}, and the one log line per admission and the nesting-depth check of the body, both required (README, Limits), another ${duration(required)}.`;
}

/** Section 3's resident split, the injector's against the fastify floor's: '' for runs before it existed. */
function floorSplit(start, injector, floor) {
  if (injector?.mallocHeap === undefined || floor?.mallocHeap === undefined) return '';
  const other = (x) => x.rssAnon - x.mallocHeap;
  return ` Against the fastify floor after the same load (section 3's last table): file pages ${bytes(injector.rssFile)} against ${bytes(floor.rssFile)}, malloc's heap ${bytes(injector.mallocHeap)} against ${bytes(floor.mallocHeap)} (the injector's was ${bytes(start.mallocHeap)} before the first request), and the other anonymous memory, mostly V8's heap, ${bytes(other(injector))} against ${bytes(other(floor))}.`;
}

export function causesOfMisses(results, targets) {
  const missed = new Set(targets.filter((t) => t.met === false).map((t) => t.id));
  if (missed.size === 0) return '';
  const out = ['## Causes of the misses', ''];
  const ip = results['in-process'];
  const typical = ip?.reviews.find((r) => r.id === 'typical');
  const huge = ip?.reviews.find((r) => r.id === 'huge');
  const speedMisses = ['render-hit', 'render-miss', 'in-process-huge', 'https-throughput', 'https-p99-500', 'apiserver-bucket'].filter((id) => missed.has(id));

  if (speedMisses.length > 0) {
    out.push(`### Time (${speedMisses.join(', ')})`, '', ...renderLines(typical, ip?.templates, missed));
    const b = typical?.breakdown;
    if ((missed.has('render-hit') || missed.has('render-miss')) && b && !b.error) {
      out.push(`Typical review, stages run alone on the same input (medians): \`JSON.parse\` ${duration(b.parseUs)}, \`evaluatePod\` ${duration(b.evaluatePodUs)} (a render without the cache: ${duration(b.renderUs)}), \`decide\` ${duration(b.decideUs)}, \`resolveSettings\` ${duration(b.resolveSettingsUs)}, \`buildPatch\` ${duration(b.buildPatchUs)}, encoding the answer ${duration(b.encodeUs)}. The floor (parse and a fixed answer) takes ${duration(typical.floor.medianUs)} of the core's ${duration(typical.core.medianUs)}: parsing the 13 KB review alone is ${Math.round((100 * b.parseUs) / typical.core.medianUs)} % of it on this machine. Per review ${bytes(typical.alloc?.core?.heapBytes)} allocated, against the floor's ${bytes(typical.alloc?.floor?.heapBytes)}.`, '');
      out.push(...profileLines(results.profile?.typical));
    }
    if (missed.has('in-process-huge') && huge?.breakdown && !huge.breakdown.error) {
      out.push(`The huge review is dominated by parsing 390 KB: \`JSON.parse\` ${duration(huge.breakdown.parseUs)}; the floor (parse + answer) takes ${duration(huge.floor.medianUs)} of the core's ${duration(huge.core.medianUs)}.`, '', ...profileLines(results.profile?.huge));
    }
    const sat = results.https?.reviews.find((r) => r.id === 'typical')?.saturation;
    if (sat && missed.has('https-throughput')) {
      const cpuPer = (x) => (x ? cpuPerRequestUs(x) : NaN);
      const [inj, base, withPatch, framework] = [cpuPer(sat[INJECTOR]), cpuPer(sat.baseline), cpuPer(sat[PATCH_BASELINE]), cpuPer(sat[FASTIFY_FLOOR])];
      out.push(`Over HTTPS, CPU per typical request at saturation: injector ${duration(inj)}, baseline ${duration(base)}, baseline answering the injector's patch ${duration(withPatch)}. The baseline answers about a hundred bytes; a webhook that injects must answer with its patch (${bytes(results.https.patchBytes)} of JSONPatch, a third more in base64), and encrypting and writing that costs the second baseline ${duration(withPatch - base)} per request by itself. The remaining ${duration(inj - withPatch)} is the injector's own work (section 1's core, less the parse both do) and the framework: fastify's routing, hooks and reply, the per-request child logger and the one log line per admission, the metrics.${cpuProfileLines(results['cpu-profile'])}`, '');
      if (Number.isFinite(framework)) {
        const budget = withPatch / 0.9;
        out.push(`What the target leaves: one core serving at 0.9× the floor's rate may spend ${duration(budget)} of CPU per request. fastify alone over the same TLS, without a logger, parsing the review with its own JSON parser and answering the same patch (bench/children/fastify-floor-server.js, in the same rounds), spent ${duration(framework)} (${Math.round(sat[FASTIFY_FLOOR].rps)} req/s), so ${budget > framework ? `${duration(budget - framework)} per request remain` : 'nothing remains'} for everything the injector adds to that: the admission's log line, decoding the review, the engine${typical?.core && typical?.floor ? ` (section 1: a render-cache hit and the patch of the typical review take ${duration(typical.core.medianUs - typical.floor.medianUs)} beyond parsing and answering)` : ''}, encoding the answer, the metrics and the limits. The injector spent ${duration(inj - framework)} per request beyond that floor.${typical?.breakdown?.depthUs !== undefined ? ` The reviews here are sent as they were captured, indented (the typical one ${bytes(typical.size)}, ${bytes(typical.breakdown.compactBytes)} without the spaces, as the apiserver sends it); the body's nesting-depth check (a walk of the parsed values for ${typical.breakdown.parseFirstMaxBytes ? `a body up to ${bytes(typical.breakdown.parseFirstMaxBytes)}` : 'a small body'}, a scan of every byte before parsing for a larger one) took ${duration(typical.breakdown.depthUs)} on it and ${duration(typical.breakdown.depthCompactUs)} on the compact form (section 1).` : ''}`, '');
      }
    }
    const at500 = results.https?.reviews.find((r) => r.id === 'typical')?.rates?.[500];
    if (missed.has('https-p99-500') && at500 && !at500[INJECTOR].overCapacity && !at500.baseline.overCapacity) {
      const [i, b] = [at500[INJECTOR], at500.baseline];
      out.push(`At 500 req/s the injector's p99 was ${ms(i.latencyMs.p99)} (p50 ${ms(i.latencyMs.p50)}) against the baseline's ${ms(b.latencyMs.p99)}, while the client itself issued its requests up to ${ms(i.issueLatenessMs.p99)} late (p99): the tail is set by how the two cores are shared more than by the request path. Repeated by hand (bench/children/paced.js against \`serve\`, three 5 s runs per setting) the p99 ranged from 2.6 to 7.5 ms (the first run after start-up, with the JIT still compiling, left out). Garbage collection is not the cause: with \`--trace-gc\` (V8's defaults, 1000 req/s) a scavenge ran about every 100 ms, 1.1 ms at the median and 1.8 ms at p90, and no full collection after start-up, so at 500 req/s under 1 % of requests meet one.`, '');
    }
    const api = results.apiserver;
    if (api && missed.has('apiserver-bucket')) {
      const own = api.injectorHistogram;
      const apiH = api.apiserverHistogram;
      const floors = api.attribution?.targets;
      const within = (h) => (h.buckets['0.005'] ?? 0) / Math.max(1, h.count);
      // One decimal where rounding would hide which side of the 90 % a share is on.
      const share = (h) => {
        const p = 100 * within(h);
        return `${Math.round(p) === 90 && p !== 90 ? p.toFixed(1) : Math.round(p)} %`;
      };
      const meanMs = (h) => (h.sum / Math.max(1, h.count)) * 1000;
      const mean = (h) => ms(meanMs(h));
      out.push(`Through the apiserver: the injector's own histogram has ${own.buckets['0.005'] ?? 0} of ${own.count} admissions ≤ 5 ms (mean ${ms((own.sum / Math.max(1, own.count)) * 1000)}); the apiserver measures a mean of ${ms((apiH.sum / Math.max(1, apiH.count)) * 1000)} for the same calls.${floors
        ? ` Registered the same way in the same run, a bare Node.js server answering the same ${bytes(api.attribution.patchBytes)} patch had ${share(floors['floor-patch'].histogram)} of its calls ≤ 5 ms (mean ${mean(floors['floor-patch'].histogram)}), and one answering no patch ${share(floors['floor-no-patch'].histogram)} (mean ${mean(floors['floor-no-patch'].histogram)}). So of the injector's mean, ${mean(floors['floor-no-patch'].histogram)} is the apiserver's cost of any call, ${ms(meanMs(floors['floor-patch'].histogram) - meanMs(floors['floor-no-patch'].histogram))} its cost of applying and decoding this patch, and ${meanMs(apiH) >= meanMs(floors['floor-patch'].histogram) ? `${ms(meanMs(apiH) - meanMs(floors['floor-patch'].histogram))} the injector's own over a server answering the same bytes` : `the injector came out ${ms(meanMs(floors['floor-patch'].histogram) - meanMs(apiH))} below a server answering the same bytes`}, all on the same two cores as etcd, the injector and the clients (section 4's table). Connections the apiserver opened to each server during its ${api.attribution.blockPods * api.settings.rounds} measured calls: ${Object.entries(floors).map(([id, x]) => `${id} ${x.connections?.opened ?? 'n/a'}`).join(', ')} (kept-alive, so no handshake per call). ${within(floors['floor-no-patch'].histogram) < 0.9 ? `Since even the server answering no patch, which does nothing at all, has only ${share(floors['floor-no-patch'].histogram)} of its calls within 5 ms, 90 % is not reachable through this apiserver on these two cores by any webhook` : within(floors['floor-patch'].histogram) < 0.9 ? `A server that does nothing reaches the 90 % only when it answers no patch; answering this patch, even a server that does nothing else gets ${share(floors['floor-patch'].histogram)}: the apiserver's own work on the patch takes an injecting webhook below the target here`: 'Both bare servers reach the 90 %'}; against the server answering the same bytes, the injector's share is ${share(apiH)} to its ${share(floors['floor-patch'].histogram)}.`
        : ' The difference is the round trip, TLS and the apiserver\'s own encoding of the review, on the same two cores as etcd, the injector and the clients.'}`, '');
      const callCost = floors && sat ? apiserverCallCost(meanMs(own), floors, sat) : undefined;
      if (callCost) out.push(callCost, '');
    }
  }

  /** The measured steps of both profiles' hits (report.js hitStagesSection), as a sentence. */
  function istioHitSteps(istio, standard) {
    const a = istio?.hitStages;
    const b = standard?.hitStages;
    if (!a || !b || a.key === undefined) return '';
    const step = (name, label) => `${label} ${duration(a[name])} against ${duration(b[name])}`;
    return ` Each step timed alone in the same rounds (section 1): ${step('resolveSettings', 'resolving settings')}, ${step('probes', 'rewriting probes')} (none in the default profile), ${step('context', 'building the context')}, ${step('key', 'building the key')} (${istio.keyChars} characters against ${standard.keyChars}), ${step('lookup', 'looking it up')}. Probe rewriting and resolving the profile's settings alone take ${duration(a.probes + a.resolveSettings)}, against a whole default hit of ${duration(standard.hit.medianUs)}.`;
  }

  if (missed.has('istio-render-hit')) {
    const istio = ip?.profiles?.find((p) => p.id === 'istio');
    const standard = ip?.profiles?.find((p) => p.id === 'default');
    out.push('### The istio profile\'s cache hit (istio-render-hit)', '',
      `A render-cache hit of the istio profile took ${istio ? duration(istio.hit.medianUs) : 'n/a'} against the default profile's ${standard ? duration(standard.hit.medianUs) : 'n/a'}. The two run the same steps, but the istio profile's configuration turns on work that the default one leaves off, and it does that work for every pod: it rewrites probes, as Istio does (the rewritten app containers go into the patch and the probers into the key), and its key holds the pod's annotations, the app probers, the container ports and the workload.${istioHitSteps(istio, standard)}`,
      '',
      '**Done**: the istio context (workload, ports, ProxyConfig, ...) is computed only on a miss, keyed on what it is computed from instead of the whole pod; values and mesh-config defaults are worked out once per configuration version; each distinct `proxy.istio.io/config` text is parsed once; a hit marks its cache entry instead of re-inserting it; and probe rewriting copies the fields of a probe with a loop instead of rest destructuring (11.3 to 9.0 µs in one run). Together these took the hit from 34 µs to this figure. **Left**: matching the default profile would mean not rewriting probes or not keying on them, which would serve a wrong sidecar to a pod whose probes differ.',
      '');
  }

  if ((missed.has('memory-rss') || missed.has('memory-rss-kube')) && results.footprint) {
    const f = Object.fromEntries(results.footprint.map((x) => [x.what, x]));
    const m = results.memory;
    const first = m.samples[0];
    const last = m.samples.at(-1);
    out.push('### Memory (standalone): most of it is there before the first request', '',
      `Measured: a bare Node.js process has ${bytes(f.bare?.rss)} RSS and the baseline HTTPS server runs at ${bytes(m.baselineRss)}.${m.fastifyFloorRss ? ` fastify answering the same patch and doing nothing else (section 2's fastify floor) was at ${bytes(m.fastifyFloorRss)} after the injector's whole load: the decided framework leaves ${bytes(RSS_LIMIT_MIB.standalone * 1024 * 1024 - m.fastifyFloorRss)} of the target for everything the injector adds.` : ''} The modules \`serve\` loads take a fresh process to ${bytes(f['serve-modules']?.rss)} (heap ${bytes(f['serve-modules']?.heapUsed)}) before any request; fastify, pino, prom-client, json-e, yaml and fast-json-patch alone take it to ${bytes(f['fastify-stack']?.rss)}. Under load the RSS went from ${bytes(first.rss)} to ${bytes(last.rss)}. The committed heap grew from ${bytes(first.after.heapTotal)} to ${bytes(last.after.heapTotal)}, with ${bytes(last.after.heapUsed)} live after a full GC. The rest of the growth is outside V8's heap: TLS and socket buffers, optimized code, and the allocator's memory for the threads.${last.rssFile !== undefined ? ` Of the final ${bytes(last.rss)}, ${bytes(last.rssFile)} are pages mapped from files, mostly the node binary's code and data (/proc's RssFile), and ${bytes(last.rssAnon)} the process's own memory (RssAnon): V8's heap and the allocator's.` : ''}${floorSplit(first, last, m.fastifyFloor)}`,
      '',
      `**Done**: five changes. (1) \`serve --standalone\` no longer loads \`@kubernetes/client-node\`: check and audit had imported it for every command, at +25 MiB of heap. It also no longer loads fastify's schema compilers, ajv and fast-json-stringify, which are 113 modules. (2) With Kubernetes access, only client-node's KubeConfig and Watch are loaded (row client-node-slim: ${bytes(f['client-node-slim']?.rss)}, against ${bytes(f['client-node']?.rss)} for the whole library). That met the 110 MiB target for the deployed case. (3) The image runs the CLI bundled with its dependencies by esbuild (\`scripts/bundle-image.js\`, the Dockerfile's ENTRYPOINT, and what every section here runs but 2b): \`serve --standalone\` opens 25 JavaScript files up to ready instead of 593. \`bench/heap-flags.js\`, three rounds with 4 MiB semi-spaces, measured 81.9 to 82.5 MiB after 205,000 requests against 84.8 to 86.6 for the unbundled program, 66.3 to 69.2 MiB at start against 71.6 to 75.4, and 11.4 MiB of heap live after GC against 12.9. (4) The image caps V8's young generation at 2 MiB semi-spaces (\`--max-semi-space-size=2\` in the Dockerfile; V8's default is 16). From 16 to 4 MiB, \`bench/heap-flags.js\` measured the RSS after 25,000 reviews at 87 MiB instead of 113, with throughput within the noise. From 4 to 2 MiB, with the bundle, three rounds of 205,000 requests: 77.0 to 78.4 MiB against 81.2 to 83.9, at 0.85 to 1.01× the saturation throughput and 0.89 to 1.19× the p99 at 500 req/s; in six shorter rounds the p99 at 500 req/s with 4 MiB was 0.79 to 1.12× that with 2 MiB (median 0.93×). (5) The image runs with one malloc arena (\`MALLOC_ARENA_MAX=1\`): glibc otherwise gives each thread that allocates an arena of its own; \`bench/heap-flags.js\` measured 81.1 to 83.3 MiB after 205,000 requests instead of 90.0 and 90.9, with throughput and p99 within the noise.`,
      '',
      `**Also measured, not taken**: the stack the project decided on (fastify, pino, prom-client) takes ${bytes(f['fastify-stack']?.rss)} by itself, over the ${bytes(f.bare?.rss)} of Node.js. Before the bundle, \`bench/heap-flags.js\` measured \`--optimize-for-size\` (about 82 MiB, with a throughput loss of up to half in some rounds) and, with one arena, glibc's fixed thresholds, which hand allocations above them to mmap and return the heap's free top to the system: at 16 KiB (\`MALLOC_MMAP_THRESHOLD_=16384 MALLOC_TRIM_THRESHOLD_=65536 MALLOC_TOP_PAD_=0\`) 80.8 MiB in both rounds against 83.3 and 84.2, but 0.83 to 0.90× the throughput and up to 1.36× the p99 at 500 req/s; at 4 KiB 78.7 and 78.8 MiB, but under 0.4× the throughput, as every request's buffers became a system call: neither taken. With one arena it also measured \`--bytecode-old-age=1 --flush-baseline-code\`, which drops the bytecode of code run only at start after one full GC instead of five: 1.6 MiB less heap live after GC, RSS 81.8 and 83.8 MiB against 84.3 and 84.4, with the p99 at 1000 req/s 1.58× and 1.46× in both rounds; and 3 MiB semi-spaces, which left the committed heap where it was (29.6 and 29.9 MiB): neither taken. Most of the heap V8 holds after the load beyond what is live comes from how it sizes the old generation: it lets the old space grow at least 8 MiB past what was live after the last full GC before it collects again (V8's minimum step, which no flag but \`--optimize-for-size\` changes), and the two semi-spaces stay committed. Also with one arena: fixed malloc thresholds of 128 and 256 KiB (\`MALLOC_MMAP_THRESHOLD_=131072\` or \`262144\`, the trim threshold twice that), which stop glibc from raising them as large blocks are freed: 87.1 and 82.4 MiB, 85.4 and 84.0 MiB, against 86.0 and 86.4 in the same rounds, with the p99 at 500 req/s up to 1.30× and 1.65×: not taken. Compiling the configuration on the main thread instead of in its worker left malloc's heap at start where it was (8.1 to 11.7 MiB over three starts with the worker, 9.8 to 11.9 without). What fills that heap at start is V8's optimizing compiler working on background threads, whose scratch memory comes from the same arena as the main thread's allocations: loading serve's modules left it at 9.3 to 11.2 MiB, and at 4.0 to 5.6 MiB with \`--no-concurrent-recompilation\` (3.7 with no optimizing at all). After the whole load, though, that flag gave 81.9 and 82.0 MiB against 82.9 and 84.4, with the p99 at 500 req/s 1.54× and 1.67× (compiles now stop the event loop), and \`--single-threaded\` 83.4 and 87.1 MiB: neither taken (and Node.js refuses both in NODE_OPTIONS: they would go on the entrypoint's command line).`,
      '');
  }
  if (missed.has('memory-flat')) {
    out.push('### Memory growth between the batches', '', 'The heap after a full GC grew between the two batches: take a heap snapshot after each batch (`node --heapsnapshot-signal=SIGUSR2`, or `--heap-prof`) and compare the retained sizes by constructor.', '');
  }
  return out.join('\n');
}
