// @ts-check
// Load generator, closed loop at saturation: autocannon with N keep-alive connections,
// each sending the next request as soon as the previous answer arrives. Run in its own
// process (and core); prints one JSON result line, including its own CPU use.
// Usage: node saturate.js '{"url":..., "bodyFile":..., "connections":10, "durationS":10 | "amount":N,
//                          "varyIds":false, "namespaces":["ns-a", ...]}'
//   varyIds     every request gets a new uid and pod name, so anything the server keeps
//               per request or per pod would show as growth;
//   namespaces  requests cycle through these namespaces (request.namespace).
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';

const input = JSON.parse(process.argv[2]);
const text = readFileSync(input.bodyFile, 'utf8');

/** The body cut at the uid, the pod's generateName and the namespace, to be filled per request. */
function bodyMaker() {
  const review = JSON.parse(text);
  const uid = review.request.uid;
  const generateName = review.request.object?.metadata?.generateName;
  const namespace = review.request.namespace;
  /** @typedef {[string, (n: number) => string]} Mark a text, and what replaces it in request n */
  /** @type {Mark[]} */
  const marks = [
    [`"${uid}"`, (n) => `"${uid.slice(0, 24)}${n.toString(16).padStart(12, '0')}"`],
    ...(generateName ? [/** @type {Mark} */ ([`"generateName": "${generateName}"`, (n) => `"generateName": "${generateName}${n.toString(36)}-"`])] : []),
    ...(input.namespaces && namespace ? [/** @type {Mark} */ ([`"namespace": "${namespace}"`, (n) => `"namespace": "${input.namespaces[n % input.namespaces.length]}"`])] : []),
  ];
  let parts = [text];
  const fills = [];
  // Split on each mark in turn; fills[i] fills the gap after parts[i].
  for (const [mark, fill] of marks) {
    const next = [];
    const nextFills = [];
    parts.forEach((part, i) => {
      const pieces = part.split(mark);
      pieces.forEach((piece, j) => {
        next.push(piece);
        if (j < pieces.length - 1) nextFills.push(fill);
        else if (i < fills.length) nextFills.push(fills[i]);
      });
    });
    parts = next;
    fills.splice(0, fills.length, ...nextFills);
  }
  let n = 0;
  return () => {
    n++;
    let out = parts[0];
    for (let i = 0; i < fills.length; i++) out += fills[i](n) + parts[i + 1];
    return out;
  };
}

const varying = Boolean(input.varyIds || input.namespaces);
const makeBody = varying ? bodyMaker() : () => text;
const cpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
const result = await autocannon({
  url: input.url,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: text,
  ...(varying ? { requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, body: makeBody() }) }] } : {}),
  connections: input.connections ?? 10,
  pipelining: 1,
  ...(input.amount ? { amount: input.amount } : { duration: input.durationS ?? 10 }),
  timeout: 30,
});
const wallS = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(`${JSON.stringify({
  requests: result.requests.total,
  rps: result.requests.total / result.duration,
  durationS: result.duration,
  latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean, max: result.latency.max },
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  clientCpu: (cpu.user + cpu.system) / 1e6 / wallS,
})}\n`);
