// The pod's cluster and network as Istio's injector sets them after its template: the
// chart's multiCluster.clusterName and network, the pod's topology.istio.io/network label
// winning over the latter. When set, each is taken out of istio-proxy's env and appended
// at its end, sorted by name (Istio's updateClusterEnvs), and the network is written on the
// pod as that label.
import type { Container, Fragment, StringMap } from '../types.js';
import { at, str, type Json } from './json.js';

export const NETWORK_LABEL = 'topology.istio.io/network';
const PROXY_CONTAINER = 'istio-proxy';

type EnvVar = { name: string; value: string };

/** ISTIO_META_CLUSTER_ID and ISTIO_META_NETWORK, those that are set, in that (sorted) order. */
export function clusterEnv(values: Readonly<Json>, labels: StringMap): EnvVar[] {
  const cluster = str(at(values, 'global', 'multiCluster', 'clusterName'));
  const network = Object.hasOwn(labels, NETWORK_LABEL) ? labels[NETWORK_LABEL] : str(at(values, 'global', 'network'));
  const env: EnvVar[] = [];
  if (cluster !== '') env.push({ name: 'ISTIO_META_CLUSTER_ID', value: cluster });
  if (network !== '') env.push({ name: 'ISTIO_META_NETWORK', value: network });
  return env;
}

function withClusterEnv(container: Container, env: readonly EnvVar[]): Container {
  const names = new Set(env.map((e) => e.name));
  const own = Array.isArray(container.env) ? container.env.filter((e) => !names.has(e?.name)) : [];
  return { ...container, env: [...own, ...env] };
}

/**
 * The rendered fragment as Istio's injector leaves it after its templates: `env` (clusterEnv)
 * moved last in istio-proxy's env, and the network written as the pod's label. The same
 * fragment when `env` is empty.
 */
export function withClusterInfo(fragment: Fragment, env: readonly EnvVar[]): Fragment {
  if (env.length === 0) return fragment;
  const network = env.find((e) => e.name === 'ISTIO_META_NETWORK');
  const proxyFirst = (list: Container[]): Container[] => list.map((c) => (c.name === PROXY_CONTAINER ? withClusterEnv(c, env) : c));
  // Istio finds the proxy among the containers first: one of the two lists.
  const inContainers = fragment.containers.some((c) => c.name === PROXY_CONTAINER);
  return {
    ...fragment,
    containers: inContainers ? proxyFirst(fragment.containers) : fragment.containers,
    initContainers: inContainers ? fragment.initContainers : proxyFirst(fragment.initContainers),
    labels: network ? { ...fragment.labels, [NETWORK_LABEL]: network.value } : fragment.labels,
  };
}
