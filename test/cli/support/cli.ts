// Helpers for the CLI tests: run the command line in-process with strings for standard
// input and output, and the paths the tests read.
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../../src/cli/main.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DATA = join(ROOT, 'test', 'cli', 'data');
/** A small, stable configuration (its output does not move with the built-in template). */
export const TEST_CONFIG = join(DATA, 'config');
export const EXAMPLES = join(ROOT, 'examples');
export const UPDATE = process.env.UPDATE_GOLDEN === '1';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Runs `sidecar-injector <argv>` with `stdin` as standard input. */
export async function cli(argv: string[], stdin = ''): Promise<CliResult> {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(argv, { stdin: Readable.from([Buffer.from(stdin)]), stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** The flags most tests use: the test config, and a namespace that enables injection. */
export const ENABLED = ['--config-dir', TEST_CONFIG, '--namespace-labels', 'sidecar-injection=enabled'];

/** `inject -f -` with the test config and an enabled namespace, plus `extra` flags. */
export function inject(stdin: string, extra: string[] = []): Promise<CliResult> {
  return cli(['inject', '-f', '-', ...ENABLED, ...extra], stdin);
}

export function explain(stdin: string, extra: string[] = []): Promise<CliResult> {
  return cli(['explain', '-f', '-', ...ENABLED, ...extra], stdin);
}
