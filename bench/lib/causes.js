// For each missed target: what this run measured about the cause (CPU profile of the
// in-process path, stage breakdown, CPU per request, module footprints, the injector's
// own latency histogram next to the apiserver's), then where the cause is in the code and
// the fix proposed to its owner.
import { bytes, duration, ms } from './format.js';

const pct = (x) => `${Math.round(100 * x)} %`;

function profileLines(profile) {
  if (!profile || profile.error) return [];
  const inc = Object.fromEntries(profile.inclusive.map((x) => [x.name, x.share]));
  const pkg = profile.selfByPackage.map((p) => `${p.name} ${pct(p.share)}`).join(', ');
  const fns = profile.selfByFunction.slice(0, 8).map((f) => `\`${f.name}\` ${pct(f.share)}`).join(', ');
  return [
    `CPU profile of the in-process path on ${profile.file} (V8's sampling profiler, the one behind \`--cpu-prof\`; ${profile.calls.toLocaleString('en-US')} calls): \`renderTemplates\` ${pct(inc.renderTemplates ?? 0)} of all samples (inclusive), \`encodeResponse\` ${pct(inc.encodeResponse ?? 0)}, \`buildPatch\` ${pct(inc.buildPatch ?? 0)}, \`decide\` + \`resolveSettings\` ${pct((inc.decide ?? 0) + (inc.resolveSettings ?? 0))}. Self time by package: ${pkg}. Top functions by self time: ${fns}.`,
    '',
  ];
}

function renderFix(shapes) {
  const t = shapes?.[0];
  const walk = t ? `the ${t.name} template has ${t.nodes} nodes and ${t.lets} nested \`$let\`s` : 'the whole template';
  const hoist = t ? `(the ${t.name} template: ${t.constantSubtrees} subtrees, ${t.nodes} → ${t.nodesAfterHoisting} nodes)` : '';
  return [
    '**Where**: `renderTemplates` (src/injection/render.ts) calls `jsone(template.source, context)` for every admitted pod. JSON-e is an interpreter: each call walks the whole template tree (' + walk + ', much of it the constant Envoy bootstrap), and for every object node it tests all 17 operator names (`Object.keys(operators).filter(hasOwn)`), interpolates every key, builds each output object key by key with `Object.defineProperty` (`setProp`), re-tokenizes and re-parses every `${…}` and `$eval` expression (`tokenizer.next`, a large alternation regex), copies the whole context on each `$let` (`mergeContext`) after re-creating some 25 builtin functions per call (`addBuiltins`), compiles a `new RegExp` per operator use (`checkUndefinedProperties`), and re-serializes the bootstrap with sorted keys for `$json` (`json-stable-stringify`). About half a megabyte is allocated per render (the allocation column of section 1), which also drives the GC share and the young generation\'s growth (section 3).',
    '',
    '**Proposed fix** (engine owner):',
    '1. Memoize rendered fragments per configuration snapshot: key = template names + `JSON.stringify` of the context minus `values`/`revision` (which the snapshot fixes): pod name, generateName, labels, annotations, serviceAccountName, container names, namespace, settings; a bounded LRU (e.g. 256 entries) in a `WeakMap<Snapshot, …>` so a new configuration starts empty; deep-freeze cached fragments (the patch only reads them); do not cache templates whose expressions use `now`. JSON-e is pure otherwise, so the result is identical. Every replica of a Deployment, Job or DaemonSet has the same context at admission (no name yet, same labels including `pod-template-hash`), so a rollout renders once; the "core, distinct pods" column of section 1 keeps the cost of a miss visible.',
    '2. For misses (pods of different workloads, StatefulSet pods): when compiling the configuration (src/config/compile.ts), replace each maximal constant subtree of a template (no `$` keys, no `${` in any string) by `{$eval: \'__const.cN\'}` and pass the frozen subtrees in the context: same output, far fewer nodes interpreted per request ' + hoist + '. Going further, render once per snapshot the parts that depend only on `values` and `revision`.',
    '',
  ];
}

export function causesOfMisses(results, targets) {
  const missed = new Set(targets.filter((t) => t.met === false).map((t) => t.id));
  if (missed.size === 0) return '';
  const out = ['## Causes of the misses', ''];
  const ip = results['in-process'];
  const typical = ip?.reviews.find((r) => r.id === 'typical');
  const huge = ip?.reviews.find((r) => r.id === 'huge');
  const speedMisses = ['in-process-typical', 'in-process-huge', 'https-throughput', 'https-p99-500', 'apiserver-bucket'].filter((id) => missed.has(id));

  if (speedMisses.length > 0) {
    const b = typical?.breakdown;
    out.push(`### Time: rendering the sidecar template with JSON-e on every request (${speedMisses.join(', ')})`, '');
    if (b && !b.error) {
      out.push(`Typical review, stages run alone on the same input (medians): \`JSON.parse\` ${duration(b.parseUs)}, \`evaluatePod\` ${duration(b.evaluatePodUs)} — of which \`renderTemplates\` ${duration(b.renderUs)} — against \`decide\` ${duration(b.decideUs)}, \`resolveSettings\` ${duration(b.resolveSettingsUs)}, \`buildPatch\` ${duration(b.buildPatchUs)}, encode + stringify ${duration(b.encodeUs)}. Per review ${bytes(typical.alloc?.core?.heapBytes)} allocated, against the floor's ${bytes(typical.alloc?.floor?.heapBytes)}.`, '');
    }
    out.push(...profileLines(results.profile?.typical), ...renderFix(ip?.templates));
    if (missed.has('in-process-huge') && huge?.breakdown && !huge.breakdown.error) {
      const h = huge.breakdown;
      out.push(`The huge review adds the parse of 390 KB: \`JSON.parse\` ${duration(h.parseUs)}, then the same render (${duration(h.renderUs)}); the floor (parse + answer) takes ${duration(huge.floor.medianUs)} of the core's ${duration(huge.core.medianUs)}.`, '', ...profileLines(results.profile?.huge));
    }
    const https = results.https?.reviews.find((r) => r.id === 'typical')?.saturation;
    if (https && (missed.has('https-throughput') || missed.has('https-p99-500'))) {
      const cpuPer = (x) => (x.serverCpu / x.rps) * 1e6;
      out.push(`Over HTTPS the same cost sets the throughput: at saturation the injector spent ${duration(cpuPer(https['https-injector']))} of CPU per typical request, the baseline ${duration(cpuPer(https.baseline))}; the difference is the core work above plus fastify's routing, the log line and the metrics (in-process route median ${duration(typical?.route.medianUs)} against core ${duration(typical?.core.medianUs)}). With one core serving, ${Math.round(https['https-injector'].rps)} req/s is the ceiling, so 500 req/s is ${https['https-injector'].rps < 500 ? 'beyond it' : 'close to it and queues on every GC pause'}.`, '');
    }
    const api = results.apiserver;
    if (api && missed.has('apiserver-bucket')) {
      const own = api.injectorHistogram;
      const apiH = api.apiserverHistogram;
      out.push(`Through the apiserver: the injector's own histogram has ${own.buckets['0.005'] ?? 0} of ${own.count} admissions ≤ 5 ms (mean ${ms((own.sum / Math.max(1, own.count)) * 1000)}); the apiserver measures a mean of ${ms((apiH.sum / Math.max(1, apiH.count)) * 1000)} for the same calls, the difference being the round trip, TLS and the apiserver's own encoding and patching, on the same two cores as etcd, the injector and the clients.`, '');
    }
  }

  if (missed.has('memory-rss') && results.footprint) {
    const f = Object.fromEntries(results.footprint.map((x) => [x.what, x]));
    const m = results.memory;
    const first = m.samples[0];
    const last = m.samples.at(-1);
    const kube = results.apiserver?.namespaceCache?.few?.memory;
    out.push('### Memory: code first, then the room V8 keeps for the allocation rate', '',
      `Measured: a bare Node.js process has ${bytes(f.bare?.rss)} RSS and the baseline HTTPS server runs at ${bytes(m.baselineRss)}. The modules \`serve --standalone\` loads take a fresh process to ${bytes(f['serve-modules']?.rss)} (heap ${bytes(f['serve-modules']?.heapUsed)}) before any request; fastify, pino, prom-client, json-e, yaml and fast-json-patch alone to ${bytes(f['fastify-stack']?.rss)}. From start to the last batch the injector's RSS went from ${bytes(first.rss)} to ${bytes(last.rss)} and its committed heap from ${bytes(first.after.heapTotal)} to ${bytes(last.after.heapTotal)}, with only ${bytes(last.after.heapUsed)} live after a full GC: V8 enlarges the young generation for the allocation rate (about ${bytes(typical?.alloc?.core?.heapBytes)} per review, section 1) and keeps it.`,
      '',
      `With Kubernetes access (the deployed case) \`@kubernetes/client-node\` is loaded as well: alone it takes a fresh process to ${bytes(f['client-node']?.rss)} (heap ${bytes(f['client-node']?.heapUsed)})${kube ? `, and the injector of section 4 ran at ${bytes(kube.rss)} RSS (heap ${bytes(kube.after.heapUsed)} live)` : ''}.`,
      '',
      '**Proposed fix**:',
      '1. Engine owner: allocate less per request (the render fix above: with a memoized render, what remains is mostly parsing the review and building the patch), so the young generation stays small.',
      '2. Deploy owner: cap the young generation in the image (`NODE_OPTIONS=--max-semi-space-size=4` in the Dockerfile or Deployment); a larger young generation only buys fewer scavenges.',
      '3. Cluster owner: in a cluster the injector needs three calls — a paged list, a watch (JSON lines) and a get, for namespaces and for one ConfigMap — plus credentials (service-account token, CA, host; kubeconfig token or client certificate). Implementing them over `node:https` behind the existing `ResourceClient` interface (src/cluster/kube-client.ts, src/cluster/kube.ts) removes `@kubernetes/client-node` and its ~2,500 generated model modules from the deployed process.',
      '');
  }
  if (missed.has('memory-flat')) {
    out.push('### Memory growth between the batches', '', 'The heap after a full GC grew between the two batches: take a heap snapshot after each batch (`node --heapsnapshot-signal=SIGUSR2`, or `--heap-prof`) and compare the retained sizes by constructor.', '');
  }
  return out.join('\n');
}
