// What the day-2 scenarios (check, audit, events) share: running the built CLI against the
// suite's cluster as an operator would, and a Deployment that rolls out without kubelets.
import { spawn } from 'node:child_process';
import type { KubeObject } from './manifests.js';
import { podSpec, type Meta } from './pods.js';
import { CLI, programCommand, REPO_ROOT } from './repo.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `sidecar-injector ARGS` with the suite's $KUBECONFIG (the cluster admin), not the injector's. */
export function runCli(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(...programCommand([CLI, ...args]), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/**
 * A Deployment whose rollouts replace every pod at once (Recreate): kube-up runs no kubelet,
 * so pods never become ready and a rolling update would wait for them forever.
 */
export function recreateDeployment(name: string, namespace: string, replicas: number, meta: Meta = {}): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas, strategy: { type: 'Recreate' },
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, ...meta.labels }, ...(meta.annotations ? { annotations: meta.annotations } : {}) }, spec: podSpec() },
    },
  };
}
