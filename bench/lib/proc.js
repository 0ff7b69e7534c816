// @ts-check
// Child processes: starting them (optionally pinned to a CPU), collecting a JSON result
// from a measuring child, and reading a process's CPU time and memory from /proc.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicks;
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** The command line, prefixed with `taskset -c CPU` when a CPU is given. */
export function pinnedCommand(cpu, command, args) {
  return cpu === undefined ? [command, args] : ['taskset', ['-c', String(cpu), command, ...args]];
}

/**
 * @typedef {object} NodeChildOptions
 * @property {number} [cpu] pin to this CPU
 * @property {string[]} [nodeFlags]
 * @property {Record<string, string>} [env] added to this process's environment
 * @property {import('node:child_process').StdioOptions} [stdio]
 */

/**
 * Starts `node [nodeFlags] script args` (taskset execs node, so the pid is node's).
 * @param {string} script
 * @param {string[]} args
 * @param {NodeChildOptions} [options]
 */
export function spawnNode(script, args, { cpu, nodeFlags = [], env, stdio = ['ignore', 'pipe', 'pipe'] } = {}) {
  const [command, argv] = pinnedCommand(cpu, process.execPath, [...nodeFlags, script, ...args]);
  return spawn(command, argv, { stdio, env: env ? { ...process.env, ...env } : process.env });
}

/**
 * Runs a measuring child that prints one JSON document on its last stdout line; resolves
 * that document. Rejects with the child's stderr when it fails.
 * @param {string} script
 * @param {unknown} input
 * @param {NodeChildOptions} [options]
 */
export function runJsonChild(script, input, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawnNode(script, [JSON.stringify(input)], options);
    let out = '';
    let err = '';
    child.stdout?.on('data', (c) => { out += c; });
    child.stderr?.on('data', (c) => { err += c; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) {
        reject(new Error(`${script} exited ${code ?? signal}: ${err.slice(-2000) || out.slice(-2000)}`));
        return;
      }
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`${script} printed no JSON result: ${out.slice(-500)} ${err.slice(-500)}`));
      }
    });
  });
}

/** User+system CPU seconds a process has used so far (Linux /proc), or undefined. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3; utime and stime are fields 14 and 15.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/** Resident set size, its peak and its parts, in bytes, from /proc/PID/status (and malloc's heap from smaps). */
export function residentBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
    // RssFile: pages mapped from files (the node binary and libraries); RssAnon: the process's own memory.
    return { rss: kib('VmRSS'), peakRss: kib('VmHWM'), rssFile: kib('RssFile'), rssAnon: kib('RssAnon'), mallocHeap: mallocHeapBytes(pid) };
  } catch {
    return undefined;
  }
}

/**
 * The resident part of the `[heap]` mapping (/proc/PID/smaps): glibc's main arena, where
 * every malloc of the process goes with MALLOC_ARENA_MAX=1 (the image's setting) below the
 * mmap threshold. RssAnon less this is V8's heap, thread stacks and malloc's own mmaps.
 */
export function mallocHeapBytes(pid) {
  const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const at = smaps.search(/ \[heap\]\n/);
  if (at === -1) return 0;
  return Number(/^Rss:\s+(\d+) kB/m.exec(smaps.slice(at))?.[1] ?? 0) * 1024;
}

/** Measures the CPU share two processes used while `work` ran (1.0 = one full core). */
export async function withCpuShare(pids, work) {
  const start = process.hrtime.bigint();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const result = await work();
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const share = {};
  for (const [name, pid] of Object.entries(pids)) {
    const after = cpuSeconds(pid);
    share[name] = after !== undefined && before[name] !== undefined ? (after - before[name]) / wall : undefined;
  }
  return { result, cpu: share };
}

/** Waits for `check` to return a value other than undefined, polling, up to a deadline. */
export async function waitFor(what, check, timeoutMs = 30_000, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
