// serve's limit and caller-authentication flags: defaults, values read, errors that name
// the flag and what it accepts.
import t, { type Test } from 'tap';
import path from 'node:path';
import { UsageError } from '../../src/cli/command.js';
import { parseServeArgs, SERVE_HELP, type ServeSettings } from '../../src/cli/serve-flags.js';
import { DEFAULT_LIMITS, DEFAULT_SHUTDOWN } from '../../src/server/limit-defaults.js';

function settings(argv: string[]): ServeSettings {
  const parsed = parseServeArgs(argv, {});
  if (parsed.help) throw new Error('unexpected help');
  return parsed.settings;
}

function usageError(t: Test, argv: string[], pattern: RegExp) {
  t.throws(() => parseServeArgs(argv, {}), UsageError, `${argv.join(' ')}: a usage error`);
  t.throws(() => parseServeArgs(argv, {}), pattern, `${argv.join(' ')}: message`);
}

t.test('defaults are the server\'s documented limits; client authentication off', async (t) => {
  const s = settings([]);
  t.match(s, {
    maxBodyBytes: DEFAULT_LIMITS.maxBodyBytes,
    maxHeaderBytes: DEFAULT_LIMITS.maxHeaderBytes,
    requestTimeoutMs: DEFAULT_LIMITS.requestTimeoutMs,
    maxConnectionsPerClient: DEFAULT_LIMITS.maxConnectionsPerClient,
    maxInFlight: DEFAULT_LIMITS.maxInFlight,
  });
  t.equal(s.clientCaFile, undefined);
});

t.test('the shutdown delay defaults to 3 s, or half of a shorter --shutdown-timeout', async (t) => {
  t.equal(settings([]).shutdownDelayMs, DEFAULT_SHUTDOWN.delayMs);
  t.equal(DEFAULT_SHUTDOWN.delayMs, 3000, 'long enough for endpoints to drop the pod before idle connections close');
  t.equal(settings(['--shutdown-timeout', '2s']).shutdownDelayMs, 1000);
  t.equal(settings(['--shutdown-timeout', '2s', '--shutdown-delay', '0s']).shutdownDelayMs, 0, 'an explicit value wins');
});

t.test('every flag is read', async (t) => {
  const s = settings(['--max-header-bytes', '32Ki', '--request-timeout', '500ms', '--max-connections-per-client', '0',
    '--max-in-flight', '100', '--client-ca-file', 'pki/apiserver-clients.crt']);
  t.match(s, { maxHeaderBytes: 32 * 1024, requestTimeoutMs: 500, maxConnectionsPerClient: 0, maxInFlight: 100, clientCaFile: path.resolve('pki/apiserver-clients.crt') });
});

t.test('errors name the flag and what it accepts', async (t) => {
  usageError(t, ['--max-header-bytes', '2Mi'], /--max-header-bytes: "2Mi".*between 1024 and 1Mi/);
  usageError(t, ['--max-header-bytes', '100'], /--max-header-bytes/);
  usageError(t, ['--request-timeout', '1m'], /--request-timeout: "1m".*between 100ms and 30s/);
  usageError(t, ['--max-connections-per-client', '-1'], /--max-connections-per-client|argument/);
  usageError(t, ['--max-connections-per-client', 'many'], /--max-connections-per-client: "many" is not an accepted count; expected a whole number/);
  usageError(t, ['--max-in-flight', '1.5'], /--max-in-flight: "1.5".*0: no limit/);
  usageError(t, ['--client-ca-file', ''], /--client-ca-file: expected a file path/);
});

t.test('--help documents each flag with its default', async (t) => {
  for (const [flag, text] of [['--max-header-bytes', '16Ki'], ['--request-timeout', '3s'], ['--max-connections-per-client', '64'],
    ['--max-in-flight', '32'], ['--client-ca-file', 'Default: off']]) {
    const at = SERVE_HELP.indexOf(flag);
    t.ok(at >= 0, `${flag} is listed`);
    t.match(SERVE_HELP.slice(at, at + 400), text, `${flag}: default ${text}`);
  }
});
