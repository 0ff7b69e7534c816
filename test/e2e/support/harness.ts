// Sets up what a scenario file needs on the cluster named by $KUBECONFIG, the way an
// operator would install the injector, except that it runs here as a process:
//   1. from `kubectl kustomize deploy/base`: the Namespace, ServiceAccount, RBAC and the
//      ConfigMap generated from templates/ (applied as is, which also resets the ConfigMap);
//   2. a kubeconfig with the ServiceAccount's token, so the injector runs with exactly the
//      permissions deploy/ grants it;
//   3. a CA and a serving certificate for 127.0.0.1 from `sidecar-injector certs`;
//   4. `sidecar-injector serve` on free ports, waited for on /readyz;
//   5. deploy/'s MutatingWebhookConfiguration with only clientConfig swapped to
//      url https://127.0.0.1:PORT/inject + caBundle, waited for until a pod is injected.
// Everything is undone in teardown, also when a test fails; the work folder (certificates,
// kubeconfig, injector log) is kept on failure and its path printed.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { Injector, freePorts } from './injector.js';
import { applyObjects, kubectl, kubectlJson } from './kubectl.js';
import { localWebhookConfiguration, ofKind, renderKustomization, type KubeObject } from './manifests.js';
import { injectionStatus } from './pods.js';
import { dryRunPod, scenarioNamespace, workDir } from './scenario.js';
import { CLI, DEPLOY_DIR, REPO_ROOT, requireBuild } from './repo.js';
import { waitFor } from './wait.js';

export const INJECTOR_NAMESPACE = 'sidecar-injector';
export const CONFIGMAP = 'sidecar-injector';
export const WEBHOOK_CONFIGURATION = 'sidecar-injector';
/** A long-lived ServiceAccount token Secret, filled in by the token controller (1.20 and later). */
const TOKEN_SECRET = 'sidecar-injector-e2e-token';
/** Objects of deploy/base the local injector needs in the cluster (not its Deployment or Service). */
const SUPPORT_KINDS = ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ConfigMap'];

/** Applies deploy/base's Namespace, ServiceAccount, RBAC and ConfigMap (resetting the ConfigMap). */
export async function applySupportObjects(rendered: readonly KubeObject[]): Promise<void> {
  await applyObjects(ofKind(rendered, ...SUPPORT_KINDS));
}

/** A kubeconfig for the same apiserver that authenticates as the injector's ServiceAccount. */
async function serviceAccountKubeconfig(dir: string): Promise<string> {
  await applyObjects([{
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/service-account-token',
    metadata: { name: TOKEN_SECRET, namespace: INJECTOR_NAMESPACE, annotations: { 'kubernetes.io/service-account.name': 'sidecar-injector' } },
  }]);
  const token = await waitFor(`the token controller to fill Secret ${INJECTOR_NAMESPACE}/${TOKEN_SECRET}`, async () => {
    const secret = await kubectlJson(['-n', INJECTOR_NAMESPACE, 'get', 'secret', TOKEN_SECRET]);
    return secret.data?.token ? Buffer.from(secret.data.token, 'base64').toString('utf8') : undefined;
  });
  const config = await kubectlJson(['config', 'view', '--raw', '--minify', '--flatten']);
  config.users = [{ name: 'sidecar-injector', user: { token } }];
  config.contexts[0].context.user = 'sidecar-injector';
  const file = join(dir, 'injector.kubeconfig');
  await writeFile(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  return file;
}

/** `sidecar-injector certs` for 127.0.0.1; returns the files and the printed caBundle. */
export async function makeCerts(out: string): Promise<{ certFile: string; keyFile: string; caBundle: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'certs', '--ip', '127.0.0.1', '--out', out], { cwd: REPO_ROOT });
  const caBundle = stdout.trim();
  if (!/^[A-Za-z0-9+/=]+$/.test(caBundle)) throw new Error(`certs printed no caBundle on stdout: ${JSON.stringify(stdout)}`);
  return { certFile: join(out, 'tls.crt'), keyFile: join(out, 'tls.key'), caBundle };
}

export interface Installed {
  dir: string;
  injector: Injector;
  /** `kubectl kustomize deploy/base`. */
  rendered: KubeObject[];
}

/** Another install than deploy/base's: an overlay (deploy/istio) with its ConfigMap and its opt-in label. */
export interface InstallOptions {
  /** Folder under deploy/ to render (default `base`). */
  overlay?: string;
  /** The ConfigMap the injector follows (default sidecar-injector). */
  configMap?: string;
  /** The namespace label that opts a namespace in under that overlay's webhook. */
  enabledLabels?: Record<string, string>;
}

/** Steps 1-5 above; undone when `t` ends. */
export async function installLocalInjector(t: Test, name: string, options: InstallOptions = {}): Promise<Installed> {
  requireBuild();
  await refuseRealInstall();
  const timings: string[] = [];
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const began = Date.now();
    const result = await work();
    timings.push(`${step} ${((Date.now() - began) / 1000).toFixed(1)} s`);
    return result;
  };
  const dir = await workDir(t, name);
  const overlay = options.overlay ?? 'base';
  const rendered = await timed(`render deploy/${overlay}`, () => renderKustomization(`${DEPLOY_DIR}/${overlay}`));
  await timed('apply namespace, RBAC, ConfigMap', () => applySupportObjects(rendered));
  const kubeconfig = await timed('service-account token', () => serviceAccountKubeconfig(dir));
  const certs = await timed('certificates', () => makeCerts(join(dir, 'certs')));
  const [port, metricsPort] = await freePorts(2);
  const injector = new Injector({
    kubeconfig,
    configMap: `${INJECTOR_NAMESPACE}/${options.configMap ?? CONFIGMAP}`,
    namespace: INJECTOR_NAMESPACE,
    certFile: certs.certFile,
    keyFile: certs.keyFile,
    port: port!,
    metricsPort: metricsPort!,
    logFile: join(dir, 'injector.log'),
  });
  t.teardown(async () => {
    await kubectl(['delete', 'mutatingwebhookconfiguration', WEBHOOK_CONFIGURATION, '--ignore-not-found']);
    const code = await injector.stop();
    if (!t.passing() || (code !== null && code !== 0)) {
      process.stderr.write(`# ${name}: the injector exited with ${code} on SIGTERM; log ${injector.options.logFile}\n`);
    }
  });
  await timed('injector ready', () => injector.start());
  await timed('webhook registered and called', async () => {
    await applyObjects([localWebhookConfiguration(rendered, injector.url, certs.caBundle)]);
    await waitForWebhook(t, options.enabledLabels);
  });
  t.comment(`setup: ${timings.join(', ')}; injector log ${injector.options.logFile}`);
  return { dir, injector, rendered };
}

/**
 * The suite replaces the webhook registration and the ConfigMap: on a cluster where the
 * injector is really installed (its webhooks call the Service) it stops instead.
 */
async function refuseRealInstall(): Promise<void> {
  const found = await kubectl(['get', 'mutatingwebhookconfiguration', WEBHOOK_CONFIGURATION, '--ignore-not-found', '-o', 'json']);
  if (found.stdout.trim() === '') return;
  const webhooks: Array<{ clientConfig?: { url?: string } }> = JSON.parse(found.stdout).webhooks ?? [];
  if (webhooks.every((webhook) => webhook.clientConfig?.url?.startsWith('https://127.0.0.1:'))) return; // a previous e2e run's
  throw new Error(`this cluster has the injector installed (MutatingWebhookConfiguration ${WEBHOOK_CONFIGURATION} calls a Service); `
    + 'the e2e suite would replace its webhook registration and ConfigMap: run it against a kube-up cluster (unset KUBECONFIG)');
}

/** Until the apiserver calls the new webhook: a dry-run pod in an opted-in namespace comes back injected. */
async function waitForWebhook(t: Test, labels: Record<string, string> = { 'sidecar-injection': 'enabled' }): Promise<void> {
  const probe = await scenarioNamespace(t, 'probe', { labels });
  await waitFor('the apiserver to call the registered webhook (a dry-run pod comes back injected)',
    async () => injectionStatus(await dryRunPod(probe)) !== undefined, { timeoutMs: 30_000 });
}
