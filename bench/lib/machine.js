// @ts-check
// Facts about the machine and the moment of the run, for the report header.
import os from 'node:os';
import { execFileSync } from 'node:child_process';

function hasCommand(name) {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function machineFacts() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cores: cpus.length,
    cpuModel: (cpus[0]?.model ?? 'unknown').trim(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/**
 * CPU placement: with taskset and at least two cores, servers run on the last core and
 * load generators on the first, so they do not take turns on one core.
 */
export function cpuPlan() {
  const cores = os.cpus().length;
  const taskset = cores >= 2 && hasCommand('taskset');
  return {
    taskset,
    serverCpu: taskset ? cores - 1 : undefined,
    clientCpu: taskset ? 0 : undefined,
    describe: taskset
      ? `servers pinned to CPU ${cores - 1}, load generators to CPU 0 (taskset); the orchestrator is not pinned and idles while measuring`
      : 'not pinned (taskset missing or a single core): servers and load generators share the CPUs',
  };
}
