// runServe in-process: --help, usage errors (exit 2), and startup failures (exit 1).
import t from 'tap';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { runServe, serve } from '../../src/cli/serve.js';
import { parseServeArgs } from '../../src/cli/serve-flags.js';
import { captureLogs, FAKE_SNAPSHOT } from './support/harness.js';

function io() {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) => new Writable({ write(c, _e, done) { append(c.toString()); done(); } });
  return { stdout: sink((s) => { out += s; }), stderr: sink((s) => { err += s; }), get out() { return out; }, get err() { return err; } };
}

t.test('--help prints the flags and exits 0', async (t) => {
  const streams = io();
  t.equal(await runServe(['--help'], streams), 0);
  t.match(streams.out, /Usage: sidecar-injector serve/);
  t.match(streams.out, /--shutdown-timeout/);
  t.equal(streams.err, '');
});

t.test('a usage error names the flag on stderr and exits 2', async (t) => {
  const streams = io();
  t.equal(await runServe(['--port', 'many'], streams), 2);
  t.match(streams.err, /^sidecar-injector serve: --port: "many" is not a port; expected an integer 0-65535/);
  t.equal(streams.out, '');
});

t.test('a startup failure (port taken) is logged and exits 1, leaving nothing open', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-serve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const parsed = parseServeArgs(['--port', String(port), '--metrics-port', '0', '--address', '127.0.0.1', '--ca-out', path.join(dir, 'ca.crt')], {});
  if (parsed.help) throw new Error('unexpected');
  const logs = captureLogs();
  const code = await serve(parsed.settings, logs.logger, { config: { current: () => FAKE_SNAPSHOT, close() {} } });
  t.equal(code, 1);
  const fatal = logs.lines.find((l) => l.level === 'fatal');
  t.match(fatal?.msg, /cannot serve: .*EADDRINUSE/);
});

t.test('a broken --tls-cert-file pair stops the start with the reason', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-serve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const parsed = parseServeArgs(['--port', '0', '--metrics-port', '0', '--address', '127.0.0.1',
    '--tls-cert-file', path.join(dir, 'missing.crt'), '--tls-key-file', path.join(dir, 'missing.key')], {});
  if (parsed.help) throw new Error('unexpected');
  const logs = captureLogs();
  t.equal(await serve(parsed.settings, logs.logger, { config: { current: () => FAKE_SNAPSHOT, close() {} } }), 1);
  t.match(logs.lines.find((l) => l.level === 'fatal')?.msg, /cannot read --tls-cert-file .*missing\.crt/);
});
