// How the injector reaches Kubernetes, decided once: an explicit --kubeconfig file, else
// the pod's service account, else $KUBECONFIG, else not at all (standalone). Pure: the
// environment comes in as an argument, and this module does not load the Kubernetes
// client (standalone runs never do).
import type { KubeEnv, LoadKubeAccessOptions } from './kube.js';

/** How the server reaches Kubernetes. `none` = standalone (flags stand in for namespaces). */
export type KubeAccess =
  | { mode: 'in-cluster'; serviceHost: string; servicePort: string }
  | { mode: 'kubeconfig'; file: string; via: 'flag' | 'env' }
  | { mode: 'none' };

/** The flags that take part in the choice. */
export interface KubeAccessFlags {
  /** --kubeconfig */
  kubeconfig?: string;
  /** --standalone */
  standalone?: boolean;
}

/** The one decision of Kubernetes access (`serve`'s flags and environment). */
export function decideKubeAccess(flags: KubeAccessFlags, env: KubeEnv): KubeAccess {
  if (flags.standalone) return { mode: 'none' };
  if (flags.kubeconfig !== undefined) return { mode: 'kubeconfig', file: flags.kubeconfig, via: 'flag' };
  const serviceHost = nonEmpty(env.KUBERNETES_SERVICE_HOST);
  const servicePort = nonEmpty(env.KUBERNETES_SERVICE_PORT);
  if (serviceHost && servicePort) return { mode: 'in-cluster', serviceHost, servicePort };
  const kubeconfig = nonEmpty(env.KUBECONFIG);
  return kubeconfig !== undefined ? { mode: 'kubeconfig', file: kubeconfig, via: 'env' } : { mode: 'none' };
}

/** What loadKubeAccess needs to reproduce the choice decideKubeAccess made. */
export function kubeAccessOptions(kube: Exclude<KubeAccess, { mode: 'none' }>): LoadKubeAccessOptions {
  switch (kube.mode) {
    case 'in-cluster':
      return { env: { KUBERNETES_SERVICE_HOST: kube.serviceHost, KUBERNETES_SERVICE_PORT: kube.servicePort } };
    case 'kubeconfig':
      return kube.via === 'flag' ? { kubeconfig: kube.file, env: {} } : { env: { KUBECONFIG: kube.file } };
  }
}

/** An environment value, with empty meaning unset. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
