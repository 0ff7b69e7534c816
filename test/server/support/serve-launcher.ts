// Runs the real `serve` startup, signal handling and shutdown in a child process, around
// a fake engine whose namespace lookup takes a set time (so requests are in flight when
// the test sends SIGTERM). With "realEngine": true, the configuration (from --config-dir)
// and the engine are the real ones.
// Usage: serve-launcher.ts '{"lookupDelayMs":100,"realEngine":false}' [serve flags]
import { serve } from '../../../src/cli/serve.js';
import { createLogger } from '../../../src/server/logger.js';
import { parseServeArgs } from '../../../src/cli/serve-flags.js';
import { FAKE_SNAPSHOT, LABEL_PATCH, outcome } from './harness.js';

const [options, ...argv] = process.argv.slice(2);
if (options === undefined) {
  // Run without arguments (e.g. picked up by a test runner as a file): nothing to do.
  process.exit(0);
}
const { lookupDelayMs = 0, realEngine = false } = JSON.parse(options) as { lookupDelayMs?: number; realEngine?: boolean };
const parsed = parseServeArgs(argv, {});
if (parsed.help) process.exit(2);
const { settings } = parsed;

const code = await serve(settings, createLogger(settings.logLevel), realEngine ? {} : {
  config: { current: () => FAKE_SNAPSHOT, close() {} },
  namespaces: {
    get: (name) => new Promise((resolve) => setTimeout(() => resolve({ name, labels: {}, annotations: {} }), lookupDelayMs)),
  },
  evaluate: () => outcome({ inject: true, reason: 'namespace-enabled', patch: LABEL_PATCH }),
});
process.exitCode = code;
// Once serve() has returned nothing may keep the process alive; if something does, say so.
setTimeout(() => {
  process.stderr.write('process still alive 5 s after serve() returned: a handle was left open\n');
  process.exit(99);
}, 5000).unref();
