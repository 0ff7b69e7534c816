// @ts-check
// Attributes a V8 CPU profile (`node --cpu-prof`) of a server under load to the stages of
// one admission, by call stack. Our own code claims a sample wherever it sits on the
// stack (the log line's pino write below a fastify frame is the log line's); for
// framework and Node.js frames the frame nearest the leaf decides (a socket write under
// fastify's reply is the reply's). Node's generic plumbing (events, streams, net, timers,
// microtasks) decides nothing: its time goes to the nearest caller that does.

/** The stages, in the order the table shows them. */
export const STAGES = [
  ['tls-http', 'TLS and HTTP parsing (node: _tls_wrap, _http_server, HTTPParser, socket reads)'],
  ['native', 'native, no JS on the stack (TLS record decryption, syscalls, libuv)'],
  ['fastify', 'fastify routing, request/reply objects and hooks (ours included)'],
  ['body', 'body read and JSON.parse (the floor: its whole handler, JSON.parse and a small JSON.stringify)'],
  ['depth', 'JSON depth check (a small body: walk of its parsed values; a large one: scan of its bytes)'],
  ['decode', 'decodeReview'],
  ['engine', 'engine (admit, evaluatePod, render cache, patch)'],
  ['encode', 'encode (encodeResponse, responseJson)'],
  ['reply', 'reply write (fastify reply, HTTP response, socket write + TLS encrypt)'],
  ['log', 'log line (pino, per-request logger)'],
  ['metrics', 'metrics (prom-client)'],
  ['limits', 'limits (in-flight, connection limit, connection tracking)'],
  ['gc', 'garbage collection'],
  ['other', 'other'],
];

/**
 * Our code: any frame on the stack claims the sample, first rule first.
 * @type {Array<[string, (f: Frame) => boolean]>}
 */
const OWNERS = [
  ['log', (f) => /node_modules\/(pino|sonic-boom|thread-stream|pino-std-serializers)\//.test(f.url) || /\/dist\/server\/logger\.js$/.test(f.url)
    || f.functionName === 'logAdmission' || (/node_modules\/fastify\/lib\/logger/.test(f.url))],
  ['metrics', (f) => /node_modules\/prom-client\//.test(f.url) || /\/dist\/server\/metrics(-text)?\.js$/.test(f.url)],
  ['depth', (f) => /\/dist\/server\/json-depth\.js$/.test(f.url)],
  ['encode', (f) => f.functionName === 'encodeResponse' || f.functionName === 'responseJson'],
  ['decode', (f) => /\/dist\/admission\/review\.js$/.test(f.url)],
  ['engine', (f) => /\/dist\/(injection|config|cluster)\//.test(f.url) || /\/dist\/admission\/admit\.js$/.test(f.url)
    || /node_modules\/(json-e|fast-json-patch)\//.test(f.url)],
];

/**
 * Framework and Node.js: the frame nearest the leaf that matches one of these decides.
 * @type {Array<[string, (f: Frame) => boolean]>}
 */
const NEAREST = [
  // Not an owner: the in-flight hook calls fastify's done(), so the rest of the request runs below it.
  ['limits', (f) => /\/dist\/server\/(in-flight|request-end|connection-limit|connections)\.js$/.test(f.url)],
  ['body', (f) => /node_modules\/(secure-json-parse)\//.test(f.url) || /node_modules\/fastify\/lib\/content-type-parser\.js$/.test(f.url)
    || /\/dist\/server\/json-body\.js$/.test(f.url)],
  ['reply', (f) => /node_modules\/fastify\/lib\/(reply|wrap-thenable|error-serializer)\.js$/.test(f.url) || /node_modules\/fast-json-stringify\//.test(f.url)
    || f.url === 'node:_http_outgoing' || (f.url === 'node:_http_server' && /^(ServerResponse|writeHead|_writeRaw|resOnFinish|onFinish)/.test(f.functionName))],
  // Writes (the answer) and reads (the request) share Node's socket plumbing: the function decides.
  ['reply', (f) => f.url === 'node:internal/stream_base_commons' && /^write/.test(f.functionName)],
  ['fastify', (f) => /node_modules\/(fastify|find-my-way|avvio|light-my-request|@fastify|fast-content-type-parse|toad-cache|process-warning|abstract-logging|fast-querystring)\//.test(f.url)
    || /\/dist\/server\/(webhook-app|inject-route|errors|plugin|readiness)\.js$/.test(f.url)],
  ['body', (f) => /\/bench\/children\/baseline-server\.js$/.test(f.url)],
  ['tls-http', (f) => /^node:(_tls_wrap|_http_server|_http_common|_http_incoming|internal\/tls\/|internal\/http)/.test(f.url)
    || (f.url === 'node:internal/stream_base_commons' && f.functionName === 'onStreamRead') || f.functionName === 'HTTPParser'],
];

/** @typedef {{ functionName: string, url: string }} Frame */

/**
 * Stage sample counts of `profile` in the window [fromUs, toUs] (V8's clock: CLOCK_MONOTONIC
 * in microseconds, the same as process.hrtime in another process on Linux). Without a
 * window, or when no sample falls in it, the whole profile is used (`windowed: false`).
 * @param {import('node:inspector').Profiler.Profile} profile
 * @param {{ fromUs?: number, toUs?: number }} [window]
 */
export function attributeProfile(profile, window = {}) {
  /** @type {Map<number, import('node:inspector').Profiler.ProfileNode>} */
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** @type {Map<number, string>} node id → stage, memoized (a node's stack never changes) */
  const stageOf = new Map();
  const classify = (id) => {
    const known = stageOf.get(id);
    if (known) return known;
    const stack = [];
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) stack.push(/** @type {Frame} */ (nodes.get(cur)?.callFrame));
    const leaf = stack[0];
    let stage;
    if (leaf.functionName === '(garbage collector)') stage = 'gc';
    else if (leaf.functionName === '(idle)') stage = 'idle';
    else if (leaf.functionName === '(program)') stage = 'native';
    else {
      for (const [name, test] of OWNERS) if (!stage && stack.some(test)) stage = name;
      for (const frame of stack) {
        if (stage) break;
        for (const [name, test] of NEAREST) if (!stage && test(frame)) stage = name;
      }
    }
    stage ??= 'other';
    stageOf.set(id, stage);
    return stage;
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  /** Sample counts by node, in [from, to]. */
  const hitsIn = (from, to) => {
    /** @type {Map<number, number>} */
    const hits = new Map();
    let t = profile.startTime;
    for (let i = 0; i < samples.length; i++) {
      t += deltas[i] ?? 0;
      if (t >= from && t <= to) hits.set(samples[i], (hits.get(samples[i]) ?? 0) + 1);
    }
    return hits;
  };
  let windowed = window.fromUs !== undefined && window.toUs !== undefined;
  let hits = windowed ? hitsIn(/** @type {number} */ (window.fromUs), /** @type {number} */ (window.toUs)) : new Map();
  if (hits.size === 0) {
    windowed = false;
    hits = hitsIn(-Infinity, Infinity);
  }
  /** @type {Record<string, number>} */
  const counts = {};
  /** @type {Record<string, Map<string, number>>} self samples by function, per stage */
  const functions = {};
  let n = 0;
  for (const [id, count] of hits) {
    const stage = classify(id);
    counts[stage] = (counts[stage] ?? 0) + count;
    n += count;
    const f = /** @type {Frame} */ (nodes.get(id)?.callFrame);
    const name = `${(f.functionName || '(anonymous)').slice(0, 40)} ${f.url.replace(/^.*node_modules\//, '').replace(/^.*\/(dist|bench)\//, '$1/')}`.trim();
    const byName = (functions[stage] ??= new Map());
    byName.set(name, (byName.get(name) ?? 0) + count);
  }
  const idle = counts.idle ?? 0;
  const busy = n - idle;
  const top = (byName) => [...(byName ?? [])].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([name, c]) => ({ name, share: c / Math.max(1, busy) }));
  return {
    windowed,
    samples: n,
    idleShare: n > 0 ? idle / n : 0,
    /** Each stage's share of the busy (non-idle) samples, with the functions holding most of its self time. */
    stages: STAGES.map(([id, label]) => ({ id, label, share: busy > 0 ? (counts[id] ?? 0) / busy : 0, top: top(functions[id]) })),
  };
}
