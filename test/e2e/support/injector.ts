// The injector as a real process, as the image runs it: `node dist/bundle/sidecar-injector.js serve …`, its output
// appended to a log file, its readiness and metrics read over HTTP on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { IMAGE_ENTRY, programCommand, REPO_ROOT } from './repo.js';
import { waitFor } from './wait.js';

export interface InjectorOptions {
  kubeconfig: string;
  /** NAMESPACE/NAME of the ConfigMap to follow. */
  configMap: string;
  namespace: string;
  certFile: string;
  keyFile: string;
  port: number;
  metricsPort: number;
  logFile: string;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; it is free again once we close). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/**
 * `count` distinct free ports: all are held open until every one is picked, since the
 * kernel may hand a just-closed port out again (two ports picked one after the other once
 * came out equal: serve refused to start with --port equal to --metrics-port).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(servers.map((server) => new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        if (typeof address === 'object' && address) resolve(address.port);
        else reject(new Error('no port'));
      });
    })));
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
  }
}

/** Started processes, killed if the test process exits without stopping them (a timeout). */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class Injector {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;

  constructor(readonly options: InjectorOptions) {}

  get url(): string {
    return `https://127.0.0.1:${this.options.port}/inject`;
  }

  get pid(): number | undefined {
    return this.isRunning ? this.child?.pid : undefined;
  }

  get isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  args(): string[] {
    const o = this.options;
    return [
      IMAGE_ENTRY, 'serve',
      '--address', '127.0.0.1',
      '--port', String(o.port),
      '--metrics-port', String(o.metricsPort),
      '--kubeconfig', o.kubeconfig,
      '--configmap', o.configMap,
      '--namespace', o.namespace,
      '--tls-cert-file', o.certFile,
      '--tls-key-file', o.keyFile,
      '--log-level', 'debug',
    ];
  }

  /** Starts the process and waits until /readyz answers 200 (or the process exits). */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.isRunning) throw new Error('the injector is already running');
    const log = openSync(this.options.logFile, 'a');
    const child = spawn(...programCommand(this.args()), { cwd: REPO_ROOT, stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    running.add(child);
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }));
    const what = `the injector to be ready (GET /readyz on :${this.options.metricsPort})`;
    const outcome = await waitFor(what, async () => {
      if (!this.isRunning) return 'exited' as const;
      const response = await fetch(`http://127.0.0.1:${this.options.metricsPort}/readyz`);
      return response.status === 200 ? 'ready' as const : undefined;
    }, { timeoutMs }).catch((err: Error) => {
      throw new Error(`${err.message}\n--- injector log ${this.options.logFile} (last lines) ---\n${this.logTail()}`);
    });
    if (outcome === 'exited') {
      throw new Error(`the injector exited with ${child.exitCode ?? child.signalCode} before it was ready\n--- injector log ${this.options.logFile} (last lines) ---\n${this.logTail()}`);
    }
  }

  /**
   * SIGTERM, then waits for the exit (SIGKILL after the deadline); resolves the exit code,
   * or null when it was not running.
   */
  async stop(timeoutMs = 40_000): Promise<number | null> {
    const child = this.child;
    if (!child || !this.exited || !this.isRunning) return null;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
    const outcome = await Promise.race([this.exited, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await this.exited;
      throw new Error(`the injector did not exit within ${timeoutMs / 1000} s of SIGTERM; killed it (log ${this.options.logFile})`);
    }
    return outcome;
  }

  metrics(): Promise<string> {
    return fetchMetrics(this.options.metricsPort);
  }

  /** One sample of a metric (0 when the labelled series does not exist yet). */
  async sample(name: string, labels: Record<string, string> = {}): Promise<number> {
    return sampleOf(await this.metrics(), name, labels);
  }

  logText(): string {
    return readLog(this.options.logFile);
  }

  logTail(lines = 30): string {
    return this.logText().trimEnd().split('\n').slice(-lines).join('\n');
  }
}

/** Reads `name{labels} value` from Prometheus text; label order does not matter. */
/** The Prometheus text of a serve process's metrics port. */
export async function fetchMetrics(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  return response.text();
}

/** A serve process's log file so far ('' before it exists). */
export function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function sampleOf(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) found[pair[1]] = pair[2];
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return 0;
}
