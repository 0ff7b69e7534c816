// A real Prometheus (Debian's package `prometheus`, the binary on PATH) as a child process
// on loopback: a temporary data folder, a config written by the test, its log in a file.
// Queried over its HTTP API (/api/v1/query).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './injector.js';
import { waitFor } from './wait.js';

const probe = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
/** Skip reason when there is no prometheus binary. */
export const noPrometheus: string | false = probe.error
  ? `prometheus not found (${probe.error.message}): install Debian's package \`prometheus\` (apt-get install prometheus); .ci/run does`
  : false;

/** Killed if the test process exits without stopping it (a timeout). */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

export class PrometheusProcess {
  port = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  /** `dir` holds prometheus.yml (and any rule files it names), the data folder and the log. */
  constructor(readonly dir: string) {}

  get logFile(): string {
    return join(this.dir, 'prometheus.log');
  }

  /** Writes prometheus.yml, starts Prometheus and waits until it answers /-/ready. */
  async start(config: string, timeoutMs = 60_000): Promise<void> {
    writeFileSync(join(this.dir, 'prometheus.yml'), config);
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    this.port = await freePort();
    const log = openSync(this.logFile, 'a');
    const child = spawn('prometheus', [
      `--config.file=${join(this.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
    ], { cwd: this.dir, stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    running.add(child);
    this.exited = new Promise((resolve) => child.once('exit', () => {
      running.delete(child);
      resolve();
    }));
    await waitFor(`Prometheus ready on :${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}:\n${this.logTail()}`);
      return (await fetch(`http://127.0.0.1:${this.port}/-/ready`)).status === 200;
    }, { timeoutMs, intervalMs: 200 });
  }

  /** An instant query; throws with Prometheus' own error for a bad one. */
  async query(expr: string): Promise<Series[]> {
    const response = await fetch(`http://127.0.0.1:${this.port}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = await response.json() as { status: string; error?: string; data?: { resultType: string; result: Series[] } };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
    if (body.data?.resultType !== 'vector') throw new Error(`query ${expr} gave a ${body.data?.resultType}, not a vector`);
    return body.data.result;
  }

  /** Rule groups as Prometheus loaded them (/api/v1/rules). */
  async rules(): Promise<Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }>> {
    const body = await (await fetch(`http://127.0.0.1:${this.port}/api/v1/rules`)).json() as { data: { groups: any[] } };
    return body.data.groups;
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), 30_000); });
    if (await Promise.race([this.exited, late]) === 'late') {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    clearTimeout(timer);
  }

  logTail(): string {
    try { return readFileSync(this.logFile, 'utf8').split('\n').slice(-20).join('\n'); } catch { return ''; }
  }
}
