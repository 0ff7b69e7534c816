// @ts-check
// The servers under test, each in its own process: the real injector (`sidecar-injector
// serve`, from bin/) and the baseline (children/baseline-server.js). Both log to a file
// so reading their output costs the measured run nothing.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { imageEnvironment, imageNodeOptions, imageProgram } from './image-options.js';
import { residentBytes, runJsonChild, spawnNode, waitFor } from './proc.js';
import { benchFile, TEMPLATES_DIR } from './paths.js';

/** New complete lines of a growing file since the last call. */
class LogTail {
  constructor(file) {
    this.file = file;
    this.offset = 0;
    this.partial = '';
    this.seen = [];
  }

  read() {
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return [];
      const buffer = Buffer.alloc(size - this.offset);
      readSync(fd, buffer, 0, buffer.length, this.offset);
      this.offset = size;
      const text = this.partial + buffer.toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      return lines;
    } finally {
      closeSync(fd);
    }
  }

  /** Reads new lines, remembering only JSON log lines with a `msg` and probe lines. */
  poll() {
    for (const line of this.read()) {
      if (line.startsWith('bench-memory ')) this.seen.push({ probe: JSON.parse(line.slice('bench-memory '.length)) });
      else if (line.startsWith('{')) {
        try {
          const entry = JSON.parse(line);
          if (entry.msg !== 'admission') this.seen.push(entry);
        } catch { /* a partial or foreign line */ }
      }
    }
  }

  /** Finds (and removes) the first remembered entry matching `test`. */
  take(test) {
    this.poll();
    const i = this.seen.findIndex(test);
    return i === -1 ? undefined : this.seen.splice(i, 1)[0];
  }
}

function exitOf(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves how long the exit took and how it ended. */
async function stopChild(child, timeoutMs = 30_000) {
  if (child.exitCode !== null || child.signalCode !== null) return { ms: 0, code: child.exitCode, signal: child.signalCode };
  const start = Date.now();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await exitOf(child);
  clearTimeout(timer);
  return { ms: Date.now() - start, code, signal };
}

/**
 * Starts `sidecar-injector serve` on free ports with the given certificate, with the
 * Node.js options and environment of the image (lib/image-options.js). Standalone
 * (every namespace labelled sidecar-injection=enabled) unless a kubeconfig is given.
 * With `probe`, memory can be read after a forced GC (lib/gc-probe.js). `nodeOptions`
 * replaces the image's Node.js options, `nodeFlags` are added to them (e.g. `--cpu-prof`),
 * `env` replaces the image's variables (added to this process's), `cli` runs another build of the program (bench/heap-flags.js and
 * bench/ab.js compare candidates with them).
 * @param {{ dir: string, name?: string, tls: { cert: string, key: string }, cpu?: number, kubeconfig?: string, probe?: boolean, nodeOptions?: string[], nodeFlags?: string[], env?: Record<string, string>, cli?: string }} options
 */
export async function startInjector({ dir, name = 'injector', tls, cpu, kubeconfig, probe = false, nodeOptions = imageNodeOptions(), nodeFlags: extraFlags = [], env = imageEnvironment(), cli = imageProgram() }) {
  const logFile = path.join(dir, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const args = [
    'serve', '--address', '127.0.0.1', '--port', '0', '--metrics-port', '0',
    '--config-dir', TEMPLATES_DIR, '--tls-cert-file', tls.cert, '--tls-key-file', tls.key,
    ...(kubeconfig ? ['--kubeconfig', kubeconfig] : ['--standalone', '--namespace-labels', 'sidecar-injection=enabled']),
  ];
  const nodeFlags = [...nodeOptions, ...extraFlags, ...(probe ? ['--expose-gc', '--import', pathToFileURL(benchFile('lib/gc-probe.js')).href] : [])];
  const child = spawnNode(cli, args, { cpu, nodeFlags, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const log = new LogTail(logFile);
  const exited = exitOf(child);
  let exit;
  void exited.then((e) => { exit = e; });
  const find = (msg, timeoutMs = 60_000) => waitFor(`injector log "${msg}" in ${logFile}`, () => {
    if (exit) throw new Error(`the injector exited (${JSON.stringify(exit)}) before logging "${msg}"; see ${logFile}`);
    return log.take((e) => e.msg === msg);
  }, timeoutMs);
  try {
    const webhook = await find('webhook listening');
    const health = log.take((e) => e.msg?.startsWith('health and metrics listening')) ?? await find('health and metrics listening (/healthz, /readyz, /metrics)');
    const port = Number(new URL(webhook.url).port);
    const metricsPort = Number(new URL(health.url).port);
    await waitFor('injector /readyz', async () => ((await httpGet(metricsPort, '/readyz')).status === 200 ? true : undefined), 60_000, 100);
    return {
      name, pid: child.pid, port, metricsPort, logFile,
      url: `https://127.0.0.1:${port}/inject`,
      /** Waits for a log line with this message (e.g. "namespace cache synced"). */
      logLine: find,
      metrics: async () => (await httpGet(metricsPort, '/metrics')).body,
      /** RSS (from /proc) before, and Node's memory figures before and after a forced GC. */
      async memory() {
        const resident = residentBytes(child.pid);
        child.kill('SIGUSR2');
        const { probe: sample } = await waitFor('memory probe line', () => log.take((e) => e.probe), 10_000, 20);
        return { ...resident, before: sample.before, after: sample.after, gc: sample.gc };
      },
      stop: () => stopChild(child),
    };
  } catch (err) {
    await stopChild(child, 2000);
    throw err;
  }
}

/**
 * Starts the baseline HTTPS server (children/baseline-server.js, or the fastify floor,
 * children/fastify-floor-server.js) with the same pair; with `patch`, its answers carry
 * that base64 JSONPatch.
 * @param {{ tls: { cert: string, key: string }, cpu?: number, patch?: string, name?: string, nodeFlags?: string[], script?: string }} options
 */
export async function startBaseline({ tls, cpu, patch, name = 'baseline', nodeFlags = [], script = 'children/baseline-server.js' }) {
  // The same Node.js options and environment as the injector, so the two differ only in the code they run.
  const child = spawnNode(benchFile(script), [JSON.stringify({ cert: tls.cert, key: tls.key, patch })], { cpu, nodeFlags: [...imageNodeOptions(), ...nodeFlags], env: imageEnvironment() });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c) => { out += c; });
  child.stderr?.on('data', (c) => { err += c; });
  const exited = exitOf(child);
  let exit;
  void exited.then((e) => { exit = e; });
  try {
    const port = await waitFor('baseline port', () => {
      if (exit) throw new Error(`the baseline server exited (${JSON.stringify(exit)}): ${err}`);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      return line ? JSON.parse(line).port : undefined;
    });
    return {
      name, pid: child.pid, port,
      url: `https://127.0.0.1:${port}/inject`,
      memory: async () => ({ ...residentBytes(child.pid) }),
      stop: () => stopChild(child),
    };
  } catch (e) {
    await stopChild(child, 2000);
    throw e;
  }
}

export function httpGet(port, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', (error) => resolve({ status: 0, body: '', error: error.message }));
  });
}

/** POSTs one body over HTTPS (trusting `caFile`) and resolves the parsed JSON answer. */
export function postJson(url, caFile, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca: readFileSync(caFile), agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new Error(`${url} answered ${res.statusCode} with something not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * autocannon against `server` in its own process (children/saturate.js): closed loop over
 * keep-alive connections, posting `bodyFile` (a new uid and pod name each time with
 * `varyIds`) for `durationS` seconds, or `amount` requests. Resolves its summary (req/s,
 * latencies, errors).
 * @param {{ url: string }} server
 * @param {{ bodyFile: string, durationS?: number, amount?: number, varyIds?: boolean, connections?: number, clientCpu?: number }} options
 */
export function saturate(server, { bodyFile, durationS, amount, varyIds, connections = 10, clientCpu }) {
  return runJsonChild(benchFile('children/saturate.js'), {
    url: server.url, bodyFile, connections, ...(varyIds ? { varyIds } : {}), ...(amount ? { amount } : { durationS }),
  }, { cpu: clientCpu });
}
