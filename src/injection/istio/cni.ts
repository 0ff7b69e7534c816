// Istio CNI (values.pilot.cni.enabled, istioctl's `components.cni.enabled`): the node's CNI
// plugin sets up the traffic capture in place of istio-init, which becomes
// istio-validation (it only checks the rules). The plugin reads the capture's settings from
// the pod's annotations, so they are written on the pod, as Istio's template writes them.
import type { StringMap } from '../types.js';
import { at, str, type Json } from './json.js';

/** The network Istio's template adds to a pod's Multus networks (provider `multus`). */
export const ISTIO_CNI_NETWORK = 'default/istio-cni';
export const MULTUS_NETWORKS = 'k8s.v1.cni.cncf.io/networks';

/** The annotation when the pod has it (even empty), else the chart's value: Go's `annotation` function. */
function annotationOr(annotations: StringMap, key: string, fallback: unknown): string {
  return Object.hasOwn(annotations, key) ? annotations[key] : str(fallback);
}

/**
 * `network` added to a Multus networks annotation, unless it is there: a JSON list gets an
 * object before its last `]`, a flat list `, network`. Text that looks like JSON but is not
 * stays as it is (Istio logs it and leaves it).
 */
export function appendMultusNetwork(existing: string, network: string): string {
  if (existing === '') return network;
  const slash = network.indexOf('/');
  const [namespace, name] = slash === -1 ? ['', network] : [network.slice(0, slash), network.slice(slash + 1)];
  const close = existing.lastIndexOf(']');
  if (close !== -1) {
    let list: unknown;
    try {
      list = JSON.parse(existing);
    } catch {
      return existing;
    }
    // Go decodes into a list of maps: anything else is a decoding error.
    if (!Array.isArray(list) || list.some((n) => n !== null && (typeof n !== 'object' || Array.isArray(n)))) return existing;
    if (list.some((n) => n !== null && n.name === name && (n.namespace ?? '') === namespace)) return existing;
    const added = namespace === '' ? `, {"name": "${name}"}` : `, {"name": "${name}", "namespace": "${namespace}"}`;
    return existing.slice(0, close) + added + existing.slice(close);
  }
  if (existing.split(',').some((n) => n.trim() === network)) return existing;
  return `${existing}, ${network}`;
}

/**
 * What the CNI plugin reads, as annotations (empty without Istio CNI). `interceptionMode` and
 * `excludeInboundPorts` as the context computes them for istio-init's arguments.
 */
export function cniAnnotations(
  annotations: StringMap, values: Readonly<Json>, interceptionMode: string, excludeInboundPorts: string,
): StringMap {
  if (at(values, 'pilot', 'cni', 'enabled') !== true) return {};
  const proxy = at(values, 'global', 'proxy');
  const out: StringMap = {};
  if (at(values, 'pilot', 'cni', 'provider') === 'multus') out[MULTUS_NETWORKS] = appendMultusNetwork(annotations[MULTUS_NETWORKS] ?? '', ISTIO_CNI_NETWORK);
  out['sidecar.istio.io/interceptionMode'] = annotationOr(annotations, 'sidecar.istio.io/interceptionMode', interceptionMode);
  const includeRanges = annotationOr(annotations, 'traffic.sidecar.istio.io/includeOutboundIPRanges', at(proxy, 'includeIPRanges'));
  if (includeRanges !== '') out['traffic.sidecar.istio.io/includeOutboundIPRanges'] = includeRanges;
  const excludeRanges = annotationOr(annotations, 'traffic.sidecar.istio.io/excludeOutboundIPRanges', at(proxy, 'excludeIPRanges'));
  if (excludeRanges !== '') out['traffic.sidecar.istio.io/excludeOutboundIPRanges'] = excludeRanges;
  out['traffic.sidecar.istio.io/includeInboundPorts'] = annotationOr(annotations, 'traffic.sidecar.istio.io/includeInboundPorts', at(proxy, 'includeInboundPorts'));
  out['traffic.sidecar.istio.io/excludeInboundPorts'] = excludeInboundPorts;
  for (const key of ['includeOutboundPorts', 'excludeOutboundPorts']) {
    const annotation = `traffic.sidecar.istio.io/${key}`;
    if (Object.hasOwn(annotations, annotation) || str(at(proxy, key)) !== '') out[annotation] = annotationOr(annotations, annotation, at(proxy, key));
  }
  for (const key of ['traffic.sidecar.istio.io/kubevirtInterfaces', 'istio.io/reroute-virtual-interfaces', 'traffic.sidecar.istio.io/excludeInterfaces']) {
    if (annotations[key]) out[key] = annotations[key];
  }
  return out;
}
