// Loads Kubernetes credentials: an explicit --kubeconfig file, else the pod's service
// account, else $KUBECONFIG, else none (standalone); `serve` decides which in
// kube-access.ts and passes its choice through kubeAccessOptions. Environment values
// come in as arguments: this module never reads process.env.
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { isIPv6 } from 'node:net';
// dist/config.js, not the package index: client-node-slim.ts loads it without the generated API.
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { errorMessage } from './log.js';

/** The environment variables that decide Kubernetes access. */
export interface KubeEnv {
  KUBERNETES_SERVICE_HOST?: string;
  KUBERNETES_SERVICE_PORT?: string;
  KUBECONFIG?: string;
}

export type KubeAccessMode = 'kubeconfig-flag' | 'in-cluster' | 'kubeconfig-env';

export interface KubeConnection {
  kubeConfig: KubeConfig;
  mode: KubeAccessMode;
  /** For the startup log, e.g. `in-cluster service account (https://10.96.0.1:443)`. */
  description: string;
  /** The apiserver URL in use. */
  server: string;
  /** The namespace the credentials point at (service-account namespace, or the context's). */
  namespace?: string;
}

export interface LoadKubeAccessOptions {
  /** --kubeconfig: wins over everything else. */
  kubeconfig?: string;
  env: KubeEnv;
  /** Where the pod's service-account files are mounted (tests point it elsewhere). */
  serviceAccountDir?: string;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Picks and loads the Kubernetes credentials, or returns undefined to run standalone.
 * Throws an Error naming the file when a kubeconfig that was asked for cannot be used.
 */
export function loadKubeAccess(options: LoadKubeAccessOptions): KubeConnection | undefined {
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (options.kubeconfig !== undefined && options.kubeconfig !== '') {
    return fromKubeconfigFiles([options.kubeconfig], 'kubeconfig-flag', '--kubeconfig');
  }
  const host = options.env.KUBERNETES_SERVICE_HOST;
  if (host && existsSync(join(saDir, 'token'))) {
    return inCluster(host, options.env.KUBERNETES_SERVICE_PORT || '443', saDir);
  }
  const fromEnv = (options.env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (fromEnv.length > 0) return fromKubeconfigFiles(fromEnv, 'kubeconfig-env', '$KUBECONFIG');
  return undefined;
}

function inCluster(host: string, port: string, saDir: string): KubeConnection {
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const kubeConfig = new KubeConfig();
  // The token is read from its file (and re-read every minute), so rotated tokens work.
  kubeConfig.loadFromClusterAndUser(
    { name: 'in-cluster', server, caFile: join(saDir, 'ca.crt'), skipTLSVerify: false },
    { name: 'service-account', authProvider: { name: 'tokenFile', config: { tokenFile: join(saDir, 'token') } } },
  );
  let namespace: string | undefined;
  try {
    namespace = readFileSync(join(saDir, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    namespace = undefined; // not mounted: the caller falls back to its default
  }
  if (namespace) kubeConfig.contexts[0] = { ...kubeConfig.contexts[0], namespace };
  return { kubeConfig, mode: 'in-cluster', server, namespace, description: `in-cluster service account (${server})` };
}

function fromKubeconfigFiles(files: string[], mode: KubeAccessMode, via: string): KubeConnection {
  const kubeConfig = new KubeConfig();
  files.forEach((file, i) => {
    const target = i === 0 ? kubeConfig : new KubeConfig();
    try {
      target.loadFromFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : errorMessage(err);
      throw new Error(`cannot load kubeconfig ${file} (from ${via}): ${why}; expected a readable kubeconfig file`);
    }
    if (target !== kubeConfig) kubeConfig.mergeConfig(target, true); // the first file's context wins, as kubectl does
  });
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    throw new Error(`kubeconfig ${files.join(delimiter)} (from ${via}) has no current context with a cluster; set current-context`);
  }
  const namespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace || undefined;
  return { kubeConfig, mode, server: cluster.server, namespace, description: `kubeconfig ${files.join(delimiter)} from ${via} (${cluster.server}, context ${kubeConfig.getCurrentContext()})` };
}
