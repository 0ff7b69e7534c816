// @ts-check
// Section 3's text and tables (BENCHMARKS.md): the injector's memory over the long run,
// standalone and with Kubernetes access, what loading the code costs, and where the
// resident memory of each server is at the end.
import { bytes, count, rate, table } from './format.js';

/**
 * Where the resident pages are after the whole load, for the injector (both cases) and
 * the fastify floor: file pages, malloc's main arena, and the other anonymous memory
 * (V8's heap, thread stacks, malloc's own mmaps). [] for runs before the split existed.
 */
export function residentSplit(m) {
  const rows = [
    ['injector, standalone', m.samples.at(-1)],
    ['injector, with Kubernetes access', m.kube?.samples?.at(-1)],
    ['fastify floor', m.fastifyFloor],
  ].filter(([, x]) => x?.mallocHeap !== undefined);
  if (rows.length === 0) return [];
  return [
    '',
    'Where the resident memory is after the whole load (/proc/PID/status and the `[heap]` line of /proc/PID/smaps, before the forced GC; with `MALLOC_ARENA_MAX=1` every small malloc of every thread is in that one heap):',
    '',
    table(['server', 'RSS', 'file pages (node binary, libraries)', 'malloc heap ([heap])', 'other anonymous (V8 heap, stacks, large mallocs)', 'V8 heap total (after GC)'],
      rows.map(([name, x]) => [name, bytes(x.rss), bytes(x.rssFile), bytes(x.mallocHeap), bytes(x.rssAnon - x.mallocHeap), x.after ? bytes(x.after.heapTotal) : 'not read']),
    ),
  ];
}

export function memorySection(m, footprint) {
  const sampleRows = (samples) => samples.map((x) => [x.point, count(x.requests), bytes(x.rss), bytes(x.after.heapUsed), bytes(x.after.heapTotal), bytes(x.after.external), x.rps ? rate(x.rps) : '—', x.errors !== undefined ? String(x.errors) : '—']);
  const columns = ['after', 'requests', 'RSS', 'heap used (after GC)', 'heap total', 'external', 'req/s of the batch', 'errors'];
  const rows = sampleRows(m.samples);
  const growth = (x) => {
    const d = x.samples.length >= 4 ? x.samples[3].rss - x.samples[2].rss : 0;
    return `RSS from batch 1 to batch 2: ${d >= 0 ? '+' : '−'}${bytes(Math.abs(d))}`;
  };
  const kube = !m.kube ? '' : m.kube.samples
    ? [`As deployed: \`serve --kubeconfig\` against a real apiserver (test/e2e/cluster/kube-up; the review's namespace exists, labelled for injection), so the namespace informer, Events and the cluster-version reader run, with the same load. ${growth(m.kube)}.`, '', table(columns, sampleRows(m.kube.samples))].join('\n')
    : `With Kubernetes access: not measured (${m.kube.skipped}).`;
  const malloc = footprint?.[0]?.mallocHeap !== undefined; // not in runs before it was read
  const fp = footprint ? table(['modules loaded (fresh process, after full GC)', 'RSS', 'heap used', ...(malloc ? ['malloc heap ([heap])'] : [])],
    footprint.map((f) => [f.what, bytes(f.rss), bytes(f.heapUsed), ...(malloc ? [bytes(f.mallocHeap)] : [])])) : '';
  return [
    '## 3. Memory over a long run',
    '',
    `A fresh \`serve\` process (same flags as section 2, plus \`--expose-gc --import bench/lib/gc-probe.js\`, which on SIGUSR2 forces a full GC and prints \`process.memoryUsage()\`; the server code is untouched) receives the typical review with a new uid and pod name on every request (anything kept per request or per pod would grow), from autocannon at saturation: ${count(m.warmup)} warm-up requests, then two batches of ${count(m.batch)}. RSS is read from /proc before the forced GC; heap figures are after it. The baseline server's RSS after the same warm-up: ${bytes(m.baselineRss)}.${m.fastifyFloorRss ? ` The fastify floor (section 2) after the same warm-up and both batches: ${bytes(m.fastifyFloorRss)}.` : ''}`,
    '',
    `Standalone (\`serve --standalone\`). ${growth(m)}.`,
    '',
    table(columns, rows),
    '',
    kube,
    '',
    fp ? `What loading the code costs before any request (each line a fresh process, \`bench/children/footprint.js\`${!malloc ? '' : ', with the image\'s options and environment; malloc heap: glibc\'s `[heap]` mapping, as in the next table'}):\n\n${fp}` : '',
    ...residentSplit(m),
  ].join('\n');
}
