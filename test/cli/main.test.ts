// Dispatch of the command line: commands, help, version, usage errors.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { USAGE } from '../../src/cli/main.js';
import { cli, ROOT } from './support/cli.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

t.test('help and version', async (t) => {
  for (const argv of [['help'], ['--help'], ['-h']]) {
    const r = await cli(argv);
    t.equal(r.code, 0, argv.join(' '));
    t.equal(r.stdout, USAGE);
  }
  t.match(USAGE, /inject -f FILE\|-/);
  t.match(USAGE, /explain -f FILE\|-/);
  t.match(USAGE, /serve/);
  t.match((await cli(['help', 'inject'])).stdout, /^Usage: sidecar-injector inject/);
  t.match((await cli(['help', 'explain'])).stdout, /^Usage: sidecar-injector explain/);
  const version = await cli(['--version']);
  t.equal(version.code, 0);
  t.equal(version.stdout, `${VERSION}\n`);
});

t.test('serve is dispatched to the server command', async (t) => {
  // --help makes runServe print its usage and return without listening.
  for (const argv of [['serve', '--help'], ['help', 'serve']]) {
    const r = await cli(argv);
    t.equal(r.code, 0, argv.join(' '));
    t.match(r.stdout, /^Usage: sidecar-injector serve/);
  }
  const bad = await cli(['serve', '--no-such-flag']);
  t.equal(bad.code, 2, 'a usage error of serve is exit 2 too');
});

t.test('usage errors exit 2 and print the usage on stderr', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /missing command/],
    [['frobnicate'], /unknown command "frobnicate"; commands: inject, explain, serve, check, audit, certs, help/],
    [['--verbose', 'inject'], /unknown flag "--verbose" before the command/],
    [['help', 'frobnicate'], /no help for "frobnicate"/],
    [['help', 'inject', 'explain'], /help takes at most one command/],
    [['--version', 'x'], /--version takes no arguments/],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(argv);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.stderr, message);
    t.match(r.stderr, /Usage: sidecar-injector <command>/);
    t.equal(r.stdout, '');
  }
});
