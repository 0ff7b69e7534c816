// The command line: dispatches `inject`, `explain`, `serve`, `help` and `--version`.
// Returns the exit code instead of exiting, so tests run it in-process and the launcher
// (bin/sidecar-injector.js) sets process.exitCode and lets pending output drain.
// Each command's module is loaded when that command runs: serve does not carry the
// offline and cluster commands' code in its heap, nor they the server's.
import { readFileSync } from 'node:fs';
import type { CliIo } from './command.js';

export type { CliIo } from './command.js';

export const USAGE = `Usage: sidecar-injector <command> [flags]

Injects an Envoy sidecar and a traffic-capture init container into Kubernetes pods: as a
mutating admission webhook (serve), or offline on manifest files (inject, explain).

Commands
  inject -f FILE|-    write FILE's objects with the sidecar injected into their pods
  explain -f FILE|-   show, for each pod, the decision, the reason, the settings and the patch
  serve               run the admission webhook (HTTPS) and the health and metrics endpoints
  check TARGET        ask the live cluster whether a pod is (or would be) injected, and why
  audit               list pods missing their sidecar or running a stale or foreign one
  certs               make a CA and a serving certificate (and a kustomize layer) for the webhook
  help [COMMAND]      show this help, or a command's flags

Flags
  -h, --help          show this help
      --version       print the version

Exit codes: 0 success, 1 invalid input or configuration, 2 usage error.
`;

const COMMANDS = ['inject', 'explain', 'serve', 'check', 'audit', 'certs', 'help'];

/** The version in package.json (two folders up from src/cli/ and from dist/cli/). */
export function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

async function runCertsCommand(argv: string[], io: CliIo): Promise<number> {
  // Loaded on demand, like serve: only certs needs the X.509 library.
  const { runCerts } = await import('./certs.js');
  return runCerts(argv, io);
}

async function runServeCommand(argv: string[], io: CliIo): Promise<number> {
  // Loaded on demand: inject and explain do not need the server's dependencies. A signal
  // while they load ends the process cleanly; serve() installs its own handler before
  // anything else (nothing asynchronous in between).
  const early = (signal: NodeJS.Signals) => { io.stderr.write(`sidecar-injector: ${signal} while starting\n`); process.exit(0); };
  process.once('SIGTERM', early).once('SIGINT', early);
  const { runServe } = await import('./serve.js');
  process.off('SIGTERM', early).off('SIGINT', early);
  return runServe(argv, io);
}

function usageError(io: CliIo, message: string): number {
  io.stderr.write(`sidecar-injector: ${message}\n\n${USAGE}`);
  return 2;
}

/** The commands whose help is a fixed text (serve and certs print their own). */
const HELP_TOPICS: Readonly<Record<string, () => Promise<string>>> = {
  inject: async () => (await import('./inject.js')).INJECT_USAGE,
  explain: async () => (await import('./explain.js')).EXPLAIN_USAGE,
  check: async () => (await import('./check.js')).CHECK_USAGE,
  audit: async () => (await import('./audit.js')).AUDIT_USAGE,
};

async function runHelp(argv: string[], io: CliIo): Promise<number> {
  const [topic, ...extra] = argv;
  if (extra.length > 0) return usageError(io, `help takes at most one command, got: ${argv.join(' ')}`);
  if (topic === 'serve') return runServeCommand(['--help'], io);
  if (topic === 'certs') return runCertsCommand(['--help'], io);
  const usage = topic === undefined ? USAGE : Object.hasOwn(HELP_TOPICS, topic) ? await HELP_TOPICS[topic]() : undefined;
  if (usage === undefined) return usageError(io, `no help for "${topic}"; commands: ${COMMANDS.join(', ')}`);
  io.stdout.write(usage);
  return 0;
}

/** Each command's entry point, by the word that names it. */
const RUNNERS: Readonly<Record<string, (argv: string[], io: CliIo) => Promise<number>>> = {
  inject: async (argv, io) => (await import('./inject.js')).runInject(argv, io),
  explain: async (argv, io) => (await import('./explain.js')).runExplain(argv, io),
  check: async (argv, io) => (await import('./check.js')).runCheck(argv, io),
  audit: async (argv, io) => (await import('./audit.js')).runAudit(argv, io),
  serve: runServeCommand, certs: runCertsCommand, help: runHelp, '--help': runHelp, '-h': runHelp,
};

/** Runs one command line (without the program name) and resolves its exit code. */
export async function runCli(argv: string[], io: CliIo = process): Promise<number> {
  const [command, ...rest] = argv;
  const run = command === undefined ? undefined : Object.hasOwn(RUNNERS, command) ? RUNNERS[command] : undefined;
  if (run) return run(rest, io);
  switch (command) {
    case '--version':
      if (rest.length > 0) return usageError(io, '--version takes no arguments');
      io.stdout.write(`${version()}\n`);
      return 0;
    case undefined:
      return usageError(io, 'missing command');
    default:
      return usageError(io, command.startsWith('-')
        ? `unknown flag "${command}" before the command`
        : `unknown command "${command}"; commands: ${COMMANDS.join(', ')}`);
  }
}
