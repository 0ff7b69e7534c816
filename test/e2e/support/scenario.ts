// What every scenario file uses: the skip without a cluster, a work folder kept on failure,
// namespaces of its own, and the pod as admission would store it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { applyObjects, kubectl, kubectlJson } from './kubectl.js';
import type { KubeObject } from './manifests.js';
import { podManifest, type Meta } from './pods.js';

/** Skip reason when no cluster is configured (run through `npm run test:e2e`). */
export const noCluster: string | false = process.env.KUBECONFIG
  ? false
  : 'no KUBECONFIG: run the e2e suite with `npm run test:e2e` (it starts a local kube-apiserver)';

export function suffix(): string {
  return randomBytes(3).toString('hex');
}

/**
 * A folder for this file's certificates, kubeconfig and logs, under $E2E_WORK_DIR when the
 * runner set it. Removed when the file passes; kept, with its path printed, when it fails.
 */
export async function workDir(t: Test, name: string): Promise<string> {
  const root = process.env.E2E_WORK_DIR || tmpdir();
  const dir = await mkdtemp(join(root, `${name}-`));
  t.teardown(async () => {
    if (t.passing()) await rm(dir, { recursive: true, force: true });
    else process.stderr.write(`# ${name} failed: its work folder is kept in ${dir}\n`);
  });
  return dir;
}

/** A namespace for one scenario, deleted when the scenario ends (the namespace controller finishes it). */
export async function scenarioNamespace(t: Test, prefix: string, meta: Meta = {}): Promise<string> {
  const name = `e2e-${prefix}-${suffix()}`;
  await applyObjects([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...meta } }]);
  t.teardown(() => kubectl(['delete', 'namespace', name, '--wait=false', '--ignore-not-found']).then(() => undefined));
  return name;
}

/** The pod as the apiserver would store it now, after admission (`kubectl create --dry-run=server`). */
export function dryRunPod(namespace: string, meta: Meta = {}, name = `dry-${suffix()}`): Promise<KubeObject> {
  return kubectlJson(['create', '-f', '-', '--dry-run=server'], { input: JSON.stringify(podManifest(name, namespace, meta)) });
}
