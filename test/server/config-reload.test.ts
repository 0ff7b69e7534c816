// `serve` with a real configuration directory, in a child process: the first version
// makes it ready; a broken version is logged, counted and ignored (the previous one keeps
// serving); a fixed version takes effect for the next request without a restart.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, waitFor } from './support/harness.js';
import { getJson, postReview, serveOnConfigCopy } from './support/child.js';

const post = async (port: number, ca: string, body: string) => (await postReview(port, ca, body)).review;

async function metric(port: number, line: RegExp): Promise<number> {
  const r = await getJson(port, '/metrics');
  const m = 'body' in r ? line.exec(String(r.body)) : null;
  return m ? Number(m[1]) : NaN;
}

// Child processes compile TypeScript at start: slow when many test files run at once.
t.setTimeout(300_000);
// Each version is compiled in a worker thread, which loads TypeScript again under the test runner.
const COMPILE_MS = 90_000;

t.test('live configuration reloads', async (t) => {
  const { child, configDir, caOut } = serveOnConfigCopy(t, 'sidecar-injector-config-');
  const ports = await child.ports();
  const ca = readFileSync(caOut, 'utf8');
  await waitFor('ready', async () => { const r = await getJson(ports.metrics, '/readyz'); return 'status' in r && r.status === 200; }, COMPILE_MS);
  t.equal(await metric(ports.metrics, /sidecar_injector_config_reloads_total\{result="success"\} (\d+)/), 1);

  const review = fixture('01-').text;
  const first = await post(ports.webhook, ca, review);
  t.equal(first.response.allowed, true);
  t.ok(first.response.patch, 'injected with the built-in policy');

  const configFile = path.join(configDir, 'config.yaml');
  const good = readFileSync(configFile, 'utf8');
  writeFileSync(configFile, `${good}\nnotAField: 1\n`);
  await waitFor('the rejection to be counted', async () => (await metric(ports.metrics, /sidecar_injector_config_reloads_total\{result="failure"\} (\d+)/)) === 1, COMPILE_MS);
  const rejected = await child.logLine('configuration rejected: keeping the previous one');
  t.match(rejected, { file: 'config.yaml', field: 'notAField' }, 'the log names the file and field');
  t.ok((await post(ports.webhook, ca, review)).response.patch, 'the previous configuration keeps serving');
  const readyz = await getJson(ports.metrics, '/readyz');
  t.equal('status' in readyz && readyz.status, 200, 'still ready');

  writeFileSync(configFile, good.replace(/^policy: enabled$/m, 'policy: disabled'));
  await waitFor('the fixed version to load', async () => (await metric(ports.metrics, /sidecar_injector_config_reloads_total\{result="success"\} (\d+)/)) === 2, COMPILE_MS);
  const after = await post(ports.webhook, ca, review);
  t.same(after.response, { uid: JSON.parse(review).request.uid, allowed: true }, 'policy: disabled takes effect for the next request');

  child.proc.kill('SIGTERM');
  await child.exited;
  t.equal(child.exit?.code, 0);
});
