// Runs kubectl the way a user would, against $KUBECONFIG (set by test/e2e/run.js).
import { spawn } from 'node:child_process';

export interface KubectlResult {
  /** The command line, for messages. */
  command: string;
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `-f -`). */
  input?: string;
  cwd?: string;
  /** Return a non-zero exit instead of throwing (for commands expected to fail). */
  allowFailure?: boolean;
  /** Kill kubectl after this long (default 60 s). */
  timeoutMs?: number;
}

/** A failed kubectl command, with its command line and output in the message. */
export class KubectlError extends Error {
  constructor(readonly result: KubectlResult) {
    super(`\`${result.command}\` exited ${result.code}:\n${result.stderr.trim() || result.stdout.trim()}`);
    this.name = 'KubectlError';
  }
}

export function kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<KubectlResult> {
  const command = `kubectl ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run kubectl (is it on PATH?): ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { command, code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (result.code !== 0 && !options.allowFailure) reject(new KubectlError(result));
      else resolve(result);
    });
    child.stdin.on('error', () => { /* kubectl may exit before reading stdin; its exit code says why */ });
    child.stdin.end(options.input ?? '');
  });
}

/** `kubectl … -o json`, parsed. */
export async function kubectlJson<T = any>(args: readonly string[], options: KubectlOptions = {}): Promise<T> {
  const { stdout } = await kubectl([...args, '-o', 'json'], options);
  return JSON.parse(stdout) as T;
}

/** Applies objects given as data (sent as JSON, which is YAML) with `kubectl apply -f -`. */
export function applyObjects(objects: readonly object[], args: readonly string[] = [], options: KubectlOptions = {}): Promise<KubectlResult> {
  const list = { apiVersion: 'v1', kind: 'List', items: objects };
  return kubectl(['apply', '-f', '-', ...args], { ...options, input: JSON.stringify(list) });
}

/** Lines kubectl printed as `Warning: …` (admission warnings, deprecations). */
export function warningLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('Warning:'));
}
