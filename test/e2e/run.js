#!/usr/bin/env node
// `npm run test:e2e`: the end-to-end suite against a real kube-apiserver.
//
//   1. checks that the program is built (the suite runs dist/ as users do; it builds nothing);
//   2. uses the cluster in $KUBECONFIG if it answers, else starts one with kube-up ($KUBE_UP,
//      else the repository's test/e2e/cluster/kube-up) in a fresh temporary folder on free
//      ports (the first time, kube-up builds the Kubernetes binaries: about 13-15 minutes);
//   3. runs tap on test/cluster/*-api.test.ts and test/e2e/*.test.ts, one file at a time
//      (they share the cluster's webhook registration), without coverage, KUBECONFIG set;
//   4. stops what it started and removes its folders, also when tests fail or on Ctrl-C.
//      On failure the work folder (injector logs, and the control plane's logs) is kept and
//      its path printed.
//
// Extra arguments go to tap (e.g. `npm run test:e2e -- --reporter=tap`); arguments naming
// test files replace the default file list. Progress goes to stderr, tap's output to stdout.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** $KUBE_UP, else the repository's own (test/e2e/cluster/kube-up); kube-down beside it. */
const KUBE_UP = process.env.KUBE_UP || join(REPO, 'test/e2e/cluster/kube-up');
const KUBE_DOWN = join(KUBE_UP, '../kube-down');
const TAP = join(REPO, 'node_modules/tap/dist/esm/run.mjs');
/** Tests that need a live cluster (.taprc keeps them out of `npm test`), by folder and name ending. */
const TEST_SETS = [['test/cluster', '-api.test.ts'], ['test/e2e', '.test.ts']];
/** Per test file; the slowest (a Deployment waiting out the ReplicaSet's backoff) needs ~1 min. */
const FILE_TIMEOUT_S = 600;

/**
 * One file at a time (they share the cluster's webhook registration); no coverage, and no
 * coverage report or thresholds either: tap reports whatever is in .tap/coverage, which is
 * another run's data when one runs in the same checkout at the same time.
 */
const TAP_OPTIONS = [
  '--jobs=1', `--timeout=${FILE_TIMEOUT_S}`,
  '--disable-coverage', '--allow-empty-coverage', '--coverage-report=none',
  '--statements=0', '--branches=0', '--functions=0', '--lines=0',
];

const say = (message) => process.stderr.write(`e2e: ${message}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

class SetupError extends Error {}

/** Runs a command to completion; resolves {code, stdout, stderr}. */
function run(command, args, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

function portIsFree(port) {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePromise(true)));
  });
}

/** etcd listens on PORT (clients) and PORT+1 (peers): both must be free. */
async function freePortPair() {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort();
    if (port < 65535 && await portIsFree(port + 1)) return port;
  }
  throw new SetupError('found no two consecutive free ports for etcd');
}

/**
 * The apiserver's, etcd's (and its peer port's) and the controller-manager's ports, all
 * different: a port just closed can be handed out again by the next pick.
 */
async function controlPlanePorts() {
  for (let attempt = 0; attempt < 20; attempt++) {
    const api = await freePort();
    const etcd = await freePortPair();
    const cm = await freePort();
    if (new Set([api, etcd, etcd + 1, cm]).size === 4) return { api, etcd, cm };
  }
  throw new SetupError('found no four distinct free ports for the control plane');
}

async function reachable(kubeconfig) {
  const result = await run('kubectl', ['--request-timeout=5s', 'get', '--raw', '/readyz'], { env: { ...process.env, KUBECONFIG: kubeconfig } })
    .catch((err) => ({ code: 1, stderr: err.message }));
  return result.code === 0;
}

/** The cluster to test against: $KUBECONFIG if it answers, else a new kube-up control plane. */
async function openCluster() {
  const given = process.env.KUBECONFIG;
  if (given && await reachable(given)) {
    say(`using the cluster in KUBECONFIG=${given} (left running, and its apiserver not restarted)`);
    return { kubeconfig: given, shared: true, close: async () => {} };
  }
  if (given) say(`KUBECONFIG=${given} does not answer; starting a local control plane instead`);
  if (!existsSync(KUBE_UP)) throw new SetupError(`kube-up not found (${KUBE_UP}): set KUBECONFIG to a reachable cluster, or KUBE_UP to the kube-up script`);

  const dir = await mkdtemp(join(tmpdir(), 'kube-e2e-'));
  const ports = await controlPlanePorts();
  const env = {
    ...process.env,
    KUBE_API_PORT: String(ports.api),
    KUBE_ETCD_PORT: String(ports.etcd),
    KUBE_CM_PORT: String(ports.cm),
  };
  const close = async ({ keepLogsIn } = {}) => {
    const pids = ['controller-manager', 'apiserver', 'etcd']
      .map((name) => { try { return Number(readFileSync(join(dir, `${name}.pid`), 'utf8').trim()); } catch { return 0; } })
      .filter((pid) => pid > 0);
    await run(KUBE_DOWN, [dir]);
    for (const pid of pids) {
      if (isRunning(pid)) { say(`pid ${pid} survived kube-down; killing it`); try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    }
    if (keepLogsIn) {
      for (const log of ['apiserver.log', 'controller-manager.log', 'etcd.log']) {
        await copyFile(join(dir, log), join(keepLogsIn, log)).catch(() => {});
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  say(`starting a local control plane with ${KUBE_UP} in ${dir} (apiserver :${env.KUBE_API_PORT})`);
  const started = Date.now();
  const up = await run(KUBE_UP, [dir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (up.code !== 0) {
    await close();
    throw new SetupError(`kube-up failed (exit ${up.code}):\n${up.stderr.trim()}`);
  }
  say(`control plane ready in ${seconds(Date.now() - started)}`);
  return { kubeconfig: join(dir, 'kubeconfig'), shared: false, close };
}

/** Running, not a zombie. */
function isRunning(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function defaultTestFiles() {
  return TEST_SETS.flatMap(([dir, ending]) => {
    const full = join(REPO, dir);
    if (!existsSync(full)) return [];
    return readdirSync(full).filter((name) => name.endsWith(ending)).map((name) => `${dir}/${name}`);
  }).sort();
}

/** Runs tap in the foreground; forwards Ctrl-C/SIGTERM so its test files tear down. */
function runTap(args, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [TAP, ...args], { cwd: REPO, env, stdio: 'inherit' });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolvePromise(code ?? (signal ? 1 : 0));
    });
  });
}

async function main(argv) {
  const began = Date.now();
  if (!existsSync(join(REPO, 'dist/cli/main.js'))) {
    throw new SetupError('dist/ is missing: the e2e suite runs the built injector; run `npm run build` first');
  }
  const fileArgs = argv.filter((arg) => !arg.startsWith('-') && existsSync(resolve(arg)));
  const tapArgs = argv.filter((arg) => !fileArgs.includes(arg));
  const files = fileArgs.length > 0 ? fileArgs.map((file) => relative(REPO, resolve(file))) : defaultTestFiles();

  // Signals during setup or teardown must not kill us before cleanup: just note them.
  let interrupted = false;
  const note = () => { interrupted = true; say('interrupted: cleaning up'); };
  process.on('SIGINT', note);
  process.on('SIGTERM', note);

  const work = await mkdtemp(join(tmpdir(), 'sidecar-injector-e2e-'));
  let cluster;
  let code = 1;
  try {
    cluster = await openCluster();
    if (interrupted) return 130;
    const testsBegan = Date.now();
    code = await runTap([...TAP_OPTIONS, ...tapArgs, ...files], {
      ...process.env,
      KUBECONFIG: cluster.kubeconfig,
      E2E_WORK_DIR: work,
      // test/cluster restarts the apiserver to test reconnection: only on a cluster of our own.
      ...(cluster.shared ? { SIDECAR_TEST_NO_APISERVER_RESTART: '1' } : {}),
    });
    say(`tests ${code === 0 ? 'passed' : `failed (tap exit ${code})`} in ${seconds(Date.now() - testsBegan)}`);
    return code;
  } finally {
    const failed = code !== 0;
    await cluster?.close({ keepLogsIn: failed ? work : undefined });
    const kept = failed ? await readdir(work, { recursive: true }).catch(() => []) : [];
    if (failed && kept.length > 0) {
      say(`kept for debugging in ${work}:`);
      for (const file of kept.filter((name) => name.endsWith('.log')).sort()) say(`  ${join(work, file)}`);
    } else {
      await rm(work, { recursive: true, force: true });
    }
    say(`whole run: ${seconds(Date.now() - began)}`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof SetupError)) throw err;
  say(err.message);
  process.exitCode = 1;
}
