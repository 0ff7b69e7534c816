// Restarts the kube-apiserver that test/e2e/cluster/kube-up started, with the very same
// command line, certificates, token and etcd (so clients keep their kubeconfig and the
// stored resourceVersions stay valid). The new process is detached and its pid written
// back to DIR/apiserver.pid, so kube-down stops it as it would the original.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { waitFor } from '../../config/support/helpers.js';

export interface ApiserverProcess {
  dir: string;
  pid: number;
  argv: string[];
}

/** The running apiserver for this kubeconfig, or a reason why it cannot be restarted here. */
export function findApiserver(kubeconfigPath: string): ApiserverProcess | string {
  const dir = dirname(kubeconfigPath);
  const pidFile = join(dir, 'apiserver.pid');
  if (!existsSync(pidFile)) return `no ${pidFile}: the cluster was not started by kube-up in ${dir}`;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return `apiserver pid ${pid} from ${pidFile} is not running (or /proc is not readable)`;
  }
  if (!argv[0]?.endsWith('kube-apiserver')) return `pid ${pid} is not a kube-apiserver`;
  return { dir, pid, argv };
}

/** Running, not a zombie: kube-up's processes may be orphans no init ever reaps. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Kills the apiserver (SIGKILL, like a crash or an OOM kill) and waits until it is gone.
 * Every open watch drops at once. A SIGTERM would stop the listener at once but keep
 * established watches open for half a minute while requests drain, which only makes the
 * same test slower.
 */
export async function stopApiserver(proc: ApiserverProcess): Promise<void> {
  process.kill(proc.pid, 'SIGKILL');
  await waitFor(`apiserver pid ${proc.pid} to exit`, () => !alive(proc.pid), 30_000);
}

/** Starts it again with the same command line; returns the new process. */
export function startApiserver(proc: ApiserverProcess): ApiserverProcess {
  const log = openSync(join(proc.dir, 'apiserver.log'), 'a');
  const child = spawn(proc.argv[0], proc.argv.slice(1), { cwd: proc.dir, detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error('kube-apiserver did not start');
  writeFileSync(join(proc.dir, 'apiserver.pid'), `${child.pid}\n`);
  return { ...proc, pid: child.pid };
}
