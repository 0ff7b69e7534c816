// What every command of the CLI shares: where it reads and writes, the usage error (exit
// code 2; the one class, serve's flags too), strict flag parsing, and how the errors a
// user can fix are printed.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config/compile.js';
import { ConfigDirError } from '../config/load-dir.js';
import { InputError } from './input/where.js';

/** Where a command reads and writes: `process`, or streams in tests. */
export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** A command line that cannot be run: exit code 2, with the command's usage. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A flag value that cannot be used, from a flag reader the commands share: a usage error. */
export class FlagValueError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'FlagValueError';
  }
}

export const HELP_FLAG_HELP = '  -h, --help                  show this help\n';

type ParseOptions = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its errors turned into UsageError. */
export function parseCommandArgs<O extends ParseOptions, P extends boolean = false>(argv: string[], options: O, allowPositionals?: P) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: (allowPositionals ?? false) as P });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw err;
    // Node's first sentence says what is wrong; the rest is advice for other programs.
    throw new UsageError((err as Error).message.split('\n')[0].replace(/\. (To specify|This command).*$/, ''));
  }
}

/** Writes the command's usage when `--help` was given; the command then exits 0. */
export function helpRequested(values: { help?: boolean }, usage: string, io: CliIo): boolean {
  if (!values.help) return false;
  io.stdout.write(usage);
  return true;
}

/** Prints an error the CLI expects and returns its exit code; rethrows anything else. */
export function reportError(err: unknown, io: CliIo, command: string, usage: string): number {
  if (err instanceof UsageError) {
    io.stderr.write(`sidecar-injector ${command}: ${err.message}\n\n${usage}`);
    return 2;
  }
  if (err instanceof ConfigError || err instanceof ConfigDirError) {
    io.stderr.write(`error: invalid configuration: ${err.message}\n`);
    return 1;
  }
  if (err instanceof InputError) {
    io.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
  throw err;
}
