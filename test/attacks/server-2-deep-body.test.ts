// Attack 2 of issue 10: a review with 3,000,000 nested arrays inside `spec` (about 6 MB,
// under the old 8 MiB body limit). Before the fix JSON.parse spent seconds of the event
// loop and hundreds of MiB on it, and a process with a container-sized heap died. Run
// against the real `serve` in a child with a 128 MB V8 heap, over TLS, with
// --max-body-bytes 8Mi and --request-timeout 30s so the depth bound (not the smaller
// default body limit, nor the upload timing out on a busy machine) is what answers it.
// The hostile bodies go one after another, ordinary admissions all the while.
import t from 'tap';
import { spawn } from 'node:child_process';
import https from 'node:https';
import { fixture } from '../server/support/harness.js';
import { getJson } from '../server/support/child.js';
import { recordAttack } from './support/record.js';
import { served } from './support/served.js';

t.setTimeout(300_000);

const DEPTH = 3_000_000;
const DEEP_REQUESTS = 3;

interface Answer { status: number; body: any; ms: number }

function post(port: number, ca: string, body: string): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/inject', method: 'POST', ca, agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        let parsed: any = text;
        try { parsed = JSON.parse(text); } catch { /* kept as text */ }
        resolve({ status: res.statusCode!, body: parsed, ms: performance.now() - started });
      });
    });
    req.on('error', (err) => resolve({ status: 0, body: err.message, ms: performance.now() - started }));
    req.end(body);
  });
}

// The attacker is another process, as it would be: building and encrypting 23 MB in this
// one would delay the ordinary admissions on the client side, not on the server.
const ATTACKER = `
const https = require('node:https');
const { port, ca, body, count } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const deep = body.replace('"spec":{', '"spec":{"x":' + '['.repeat(${DEPTH}) + ']'.repeat(${DEPTH}) + ',');
const one = () => new Promise((resolve) => {
  const started = performance.now();
  const req = https.request({ host: '127.0.0.1', port, path: '/inject', method: 'POST', ca, agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(deep) } }, (res) => {
    let text = '';
    res.on('data', (c) => { text += c; });
    res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text), ms: performance.now() - started }));
  });
  req.on('error', (err) => resolve({ status: 0, body: err.message, ms: performance.now() - started }));
  req.end(deep);
});
(async () => {
  const answers = [];
  for (let i = 0; i < count; i++) answers.push(await one());
  process.stdout.write(JSON.stringify({ bytes: deep.length, answers }));
})();
`;

function attack(port: number, ca: string, body: string, count: number): Promise<{ bytes: number; answers: Answer[] }> {
  const child = spawn(process.execPath, ['-e', ATTACKER], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stdin.end(JSON.stringify({ port, ca, body, count }));
  return new Promise((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`attacker exited ${code}`)))));
}

t.test('a 3,000,000-deep body is refused before parsing; other admissions go on', async (t) => {
  const { child, ports, ca } = await served(t, {}, ['--max-body-bytes', '8Mi', '--request-timeout', '30s', '--shutdown-delay', '0s'], ['--max-old-space-size=128']);
  const normal = fixture('01-').text;

  t.equal((await post(ports.webhook, ca, normal)).status, 200, 'an ordinary admission before the attack is 200');
  // Ordinary admissions, one after another, for as long as the hostile bodies are in the air.
  let attacking = true;
  const ordinary: Answer[] = [];
  const steady = (async () => {
    while (attacking) ordinary.push(await post(ports.webhook, ca, normal));
  })();
  const { bytes, answers: hostile } = await attack(ports.webhook, ca, JSON.stringify(fixture('01-').review), DEEP_REQUESTS);
  attacking = false;
  await steady;
  t.ok(bytes > 5_900_000 && bytes < 8 * 2 ** 20, `the hostile body is ${(bytes / 2 ** 20).toFixed(1)} MiB, under the 8 MiB limit`);

  t.same(hostile.map((a) => a.status), Array(DEEP_REQUESTS).fill(400), `every deep body is answered 400 (${JSON.stringify(hostile.map((a) => a.body?.error?.code ?? a.body))})`);
  t.match(hostile[0]!.body, { error: { code: 'nesting-too-deep', message: /deeper than 64 levels/, field: /^request\.object\.spec\.x\[0\]\[0\]/ } },
    'in the JSON error shape, naming where the nesting is');
  t.ok(ordinary.length > 0 && ordinary.every((a) => a.status === 200), `the ${ordinary.length} ordinary admissions sent meanwhile are all 200`);
  const slowest = Math.max(...ordinary.map((a) => a.ms));
  t.comment(`ordinary: ${ordinary.map((a) => a.ms.toFixed(0)).join(' ')}; hostile: ${hostile.map((a) => a.ms.toFixed(0)).join(' ')}`);
  t.ok(slowest < 1000, `each ordinary admission is answered well under a second (slowest ${slowest.toFixed(0)} ms)`);
  const health = await getJson(ports.metrics, '/healthz');
  t.ok(child.exit === undefined && 'status' in health && health.status === 200, 'the process lives and answers /healthz');

  recordAttack({
    id: 2,
    defect: 'A deeply nested body exhausts memory and blocks every admission',
    attack: `${DEEP_REQUESTS} reviews of ${(bytes / 2 ** 20).toFixed(1)} MiB with ${DEPTH.toLocaleString('en')} nested arrays inside spec (--max-body-bytes 8Mi, V8 heap 128 MB), with ordinary admissions sent meanwhile`,
    before: '2-3 s of JSON.parse on the event loop and 300-950 MiB per request; with a 256 Mi container\'s heap the process died ("Reached heap limit")',
    after: `all ${DEEP_REQUESTS} answered 400 nesting-too-deep (slowest ${Math.max(...hostile.map((a) => a.ms)).toFixed(0)} ms, upload included); ${ordinary.length} ordinary admissions meanwhile all 200, slowest ${slowest.toFixed(0)} ms; process alive. Default --max-body-bytes is now 3 MiB (413 above)`,
    test: 'test/attacks/server-2-deep-body.test.ts',
  });
});
