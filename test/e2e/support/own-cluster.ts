// A control plane of a scenario's own, for what the suite's shared cluster cannot do (an
// apiserver started with extra flags): test/e2e/cluster/kube-up in its own folder on free
// ports, without the controller manager, stopped with kube-down in teardown.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Test } from 'tap';
import { alive } from '../../cluster/support/apiserver.js';
import { freePort } from './injector.js';
import { REPO_ROOT } from './repo.js';

/** $KUBE_UP, else the repository's test/e2e/cluster/kube-up (as test/e2e/run.js finds it). */
export function findKubeUp(): string | undefined {
  const kubeUp = process.env.KUBE_UP || join(REPO_ROOT, 'test/e2e/cluster/kube-up');
  return existsSync(kubeUp) ? kubeUp : undefined;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePromise(true)));
  });
}

/** etcd listens on PORT (clients) and PORT+1 (peers). */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort();
    if (port < 65535 && await portIsFree(port + 1)) return port;
  }
  throw new Error('found no two consecutive free ports for etcd');
}


export interface OwnCluster {
  dir: string;
  kubeconfig: string;
  apiPort: number;
}

/**
 * kube-up in `dir` (which kube-up empties first: keep other files elsewhere) with extra
 * apiserver flags; kube-down when `t` ends, and any process that survives it killed.
 */
export async function startOwnCluster(t: Test, kubeUp: string, dir: string, apiserverArgs: string[]): Promise<OwnCluster> {
  // A port just closed can be handed out again by the next pick: the three must differ.
  let [apiPort, etcdPort] = [await freePort(), await freePortPair()];
  while (apiPort === etcdPort || apiPort === etcdPort + 1) apiPort = await freePort();
  const env = {
    ...process.env,
    KUBE_API_PORT: String(apiPort),
    KUBE_ETCD_PORT: String(etcdPort),
    KUBE_CONTROLLERS: '0',
    KUBE_APISERVER_ARGS: apiserverArgs.join(' '),
  };
  t.teardown(async () => {
    const pids = ['apiserver', 'etcd'].map((name) => {
      try { return Number(readFileSync(join(dir, `${name}.pid`), 'utf8').trim()); } catch { return 0; }
    }).filter((pid) => pid > 0);
    await run(join(kubeUp, '../kube-down'), [dir], env);
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  const up = await run(kubeUp, [dir], env);
  if (up.code !== 0) throw new Error(`kube-up ${dir} failed (exit ${up.code}):\n${up.stderr.trim()}`);
  return { dir, kubeconfig: join(dir, 'kubeconfig'), apiPort };
}
