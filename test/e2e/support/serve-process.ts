// `sidecar-injector serve` (the built program) as a child process with any flags, for the
// fault scenarios: started and waited for on /readyz, watched for unexpected exits
// (crashes), its peak memory read from /proc, stopped with SIGTERM. Output goes to a log
// file that the scenario keeps when it fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fetchMetrics, freePorts, readLog, sampleOf } from './injector.js';
import { CLI, programCommand, REPO_ROOT } from './repo.js';
import { waitFor } from './wait.js';

/** Children still running when the test process exits (a timeout) are killed with it. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ServeProcessOptions {
  /** Flags after `serve`; --port, --metrics-port and --address are added. */
  flags: string[];
  logFile: string;
}

export class ServeProcess {
  port = 0;
  metricsPort = 0;
  private child: ChildProcess | undefined;
  private exitPromise: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  private expectingExit = false;
  /** Exits nobody asked for (anything before signal()/stop()). */
  crashes = 0;
  exit?: { code: number | null; signal: NodeJS.Signals | null };

  constructor(readonly options: ServeProcessOptions) {}

  get pid(): number {
    if (!this.child?.pid) throw new Error('the injector is not started');
    return this.child.pid;
  }

  get isRunning(): boolean {
    return this.child !== undefined && this.exit === undefined;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    [this.port, this.metricsPort] = (await freePorts(2)) as [number, number];
    const log = openSync(this.options.logFile, 'a');
    const child = spawn(...programCommand([
      CLI, 'serve', '--address', '127.0.0.1', '--port', String(this.port), '--metrics-port', String(this.metricsPort),
      ...this.options.flags,
    ]), { cwd: REPO_ROOT, stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    this.exit = undefined;
    this.expectingExit = false;
    running.add(child);
    this.exitPromise = new Promise((resolve) => child.once('exit', (code, signal) => {
      running.delete(child);
      this.exit = { code, signal };
      if (!this.expectingExit) this.crashes++;
      resolve(this.exit);
    }));
    await waitFor(`the injector to be ready (GET /readyz on :${this.metricsPort})`, async () => {
      if (this.exit) throw new Error(`exited ${JSON.stringify(this.exit)} before it was ready:\n${this.logTail()}`);
      const response = await fetch(`http://127.0.0.1:${this.metricsPort}/readyz`);
      return response.status === 200;
    }, { timeoutMs, intervalMs: 100 }).catch((err: Error) => {
      throw new Error(`${err.message}\n--- ${this.options.logFile} ---\n${this.logTail()}`);
    });
  }

  /** Sends a signal the scenario means to send: the exit that follows is not a crash. */
  signal(signal: NodeJS.Signals): void {
    this.expectingExit = true;
    this.child?.kill(signal);
  }

  /** Resolves when the process has exited. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exitPromise) throw new Error('the injector was never started');
    return this.exitPromise;
  }

  /** SIGTERM and wait (SIGKILL after the deadline); resolves the exit code. */
  async stop(timeoutMs = 40_000): Promise<number | null> {
    if (!this.child || !this.exitPromise) return null;
    if (this.isRunning) this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.exitPromise,
      new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exitPromise;
      throw new Error(`the injector did not exit within ${timeoutMs / 1000} s of SIGTERM (log ${this.options.logFile})`);
    }
    return outcome.code;
  }

  /** Peak resident memory of the process so far, in bytes (VmHWM). */
  peakRss(): number {
    return statusField(this.pid, 'VmHWM');
  }

  metrics(): Promise<string> {
    return fetchMetrics(this.metricsPort);
  }

  async sample(name: string, labels: Record<string, string> = {}): Promise<number> {
    return sampleOf(await this.metrics(), name, labels);
  }

  logText(): string {
    return readLog(this.options.logFile);
  }

  /** The log's JSON lines with this message. */
  logLines(msg: string): Array<Record<string, any>> {
    return this.logText().split('\n').filter((line) => line.includes(msg)).flatMap((line) => {
      try { return [JSON.parse(line)]; } catch { return []; }
    }).filter((line) => line.msg === msg);
  }

  logTail(lines = 30): string {
    return this.logText().trimEnd().split('\n').slice(-lines).join('\n');
  }
}

/** A `kB` field of /proc/PID/status, in bytes. */
export function statusField(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
