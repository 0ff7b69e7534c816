// A child process running serve-launcher.ts, with its JSON log lines parsed as they come.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_CONFIG_DIR } from '../../../src/config/load-dir.js';
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

  /** Waits for a log line with this message and returns the first. */
  async logLine(msg: string, timeoutMs = 90_000): Promise<Record<string, any>> {
    return (await this.logLines(msg, 1, timeoutMs))[0];
  }

  /** Waits for `count` log lines with this message (stdout is written asynchronously: logger.ts) and returns them. */
  logLines(msg: string, count: number, timeoutMs = 90_000): Promise<Array<Record<string, any>>> {
    return waitFor(`${count} log line(s) "${msg}" (stderr: ${this.stderr.slice(-500)})`, () => {
      if (this.exit) return Promise.reject(new Error(`child exited ${JSON.stringify(this.exit)}: ${this.stderr}`));
      const found = this.logs.filter((l) => l.msg === msg);
      return found.length >= count ? found : undefined;
    }, timeoutMs);
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

/**
 * POSTs a review to a child's webhook port; resolves the answer and its round trip. With a
 * keep-alive `agent` of one socket, the figure is the admission's, not a handshake's.
 */
export function postReview(port: number, ca: string, body: string, agent: https.Agent | false = false): Promise<{ ms: number; review: any }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = https.request({ host: '127.0.0.1', port, path: '/inject', method: 'POST', ca, agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        try {
          resolve({ ms: performance.now() - started, review: JSON.parse(text) });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `serve --standalone` as a child on a copy of the built-in configuration in a fresh
 * folder (the tests edit it), with the namespace labelled for injection.
 */
export function serveOnConfigCopy(t: { teardown(fn: () => void): void }, prefix: string, extraFlags: string[] = []): { child: ServeChild; dir: string; configDir: string; caOut: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const configDir = path.join(dir, 'config');
  cpSync(BUILTIN_CONFIG_DIR, configDir, { recursive: true });
  const caOut = path.join(dir, 'ca.crt');
  const child = new ServeChild({ realEngine: true }, [
    '--port', '0', '--metrics-port', '0', '--address', '127.0.0.1', '--standalone', '--ca-out', caOut,
    '--config-dir', configDir, '--namespace-labels', 'sidecar-injection=enabled', ...extraFlags,
  ]);
  t.teardown(() => { child.kill(); rmSync(dir, { recursive: true, force: true }); });
  return { child, dir, configDir, caOut };
}
