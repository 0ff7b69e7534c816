// The pod's cluster and network as Istio's injector sets them after its template: the
// webhook path's env (path-env.ts), else the chart's multiCluster.clusterName and network,
// the pod's topology.istio.io/network label winning for the network. With the path's other
// env, each is taken out of istio-proxy's env and appended at its end, sorted by name
// (Istio's updateClusterEnvs), and the network is written on the pod as that label.
import type { Container, Fragment, StringMap } from '../types.js';
import { at, str, type Json } from './json.js';
import { PROXY_CONTAINER } from './names.js';

export const NETWORK_LABEL = 'topology.istio.io/network';

type EnvVar = { name: string; value: string };

/**
 * The env the webhook's path sets (path-env.ts) with ISTIO_META_CLUSTER_ID and
 * ISTIO_META_NETWORK where set (the path's, else the chart's; the label's network first),
 * sorted by name.
 */
export function clusterEnv(values: Readonly<Json>, labels: StringMap, pathEnv: Readonly<StringMap> = {}): EnvVar[] {
  const env = new Map(Object.entries(pathEnv));
  const cluster = pathEnv.ISTIO_META_CLUSTER_ID || str(at(values, 'global', 'multiCluster', 'clusterName'));
  let network = pathEnv.ISTIO_META_NETWORK || str(at(values, 'global', 'network'));
  if (Object.hasOwn(labels, NETWORK_LABEL)) network = labels[NETWORK_LABEL];
  if (cluster !== '') env.set('ISTIO_META_CLUSTER_ID', cluster);
  if (network !== '') env.set('ISTIO_META_NETWORK', network);
  return [...env.keys()].sort().map((name) => ({ name, value: env.get(name)! }));
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
