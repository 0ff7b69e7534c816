// A child process running serve-launcher.ts, with its JSON log lines parsed as they come.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { waitFor } from './harness.js';

const LAUNCHER = fileURLToPath(new URL('./serve-launcher.ts', import.meta.url));

export class ServeChild {
  readonly proc: ChildProcess;
  readonly logs: Array<Record<string, any>> = [];
  stderr = '';
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  readonly exited: Promise<void>;

  /** `nodeFlags`: extra flags for node itself, e.g. a heap limit. */
  constructor(options: { lookupDelayMs?: number; realEngine?: boolean }, flags: string[], nodeFlags: string[] = []) {
    // The parent's loader flags (tap's TypeScript loader, coverage) let the child run .ts.
    this.proc = spawn(process.execPath, [...process.execArgv, ...nodeFlags, LAUNCHER, JSON.stringify(options), ...flags], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    this.proc.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try { this.logs.push(JSON.parse(line)); } catch { this.stderr += `${line}\n`; }
      }
    });
    this.proc.stderr!.on('data', (chunk: Buffer) => { this.stderr += chunk.toString('utf8'); });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => { this.exit = { code, signal }; resolve(); }));
  }

  /** Waits for a log line with this message and returns it. */
  logLine(msg: string, timeoutMs = 90_000): Promise<Record<string, any>> {
    return waitFor(`log "${msg}" (stderr: ${this.stderr.slice(-500)})`, () => this.exit ? Promise.reject(new Error(`child exited ${JSON.stringify(this.exit)}: ${this.stderr}`)) : this.logs.find((l) => l.msg === msg), timeoutMs);
  }

  async ports(): Promise<{ webhook: number; metrics: number }> {
    const webhook = await this.logLine('webhook listening');
    const health = await this.logLine('health and metrics listening (/healthz, /readyz, /metrics)');
    return { webhook: Number(new URL(webhook.url).port), metrics: Number(new URL(health.url).port) };
  }

  kill(): void {
    if (!this.exit) this.proc.kill('SIGKILL');
  }
}

/** GET on the metrics port: status and parsed body, or the network error. */
export function getJson(port: number, path: string): Promise<{ status: number; body: any } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => { try { resolve({ status: res.statusCode!, body: JSON.parse(text) }); } catch { resolve({ status: res.statusCode!, body: text }); } });
    });
    req.on('error', (err) => resolve({ error: err.message }));
  });
}

/** A metric's value from the /metrics text (first sample of that name), NaN if absent. */
export async function metricValue(port: number, name: string): Promise<number> {
  const answer = await getJson(port, '/metrics');
  if (!('body' in answer) || typeof answer.body !== 'string') return NaN;
  const line = answer.body.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}
