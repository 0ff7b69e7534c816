// A Snapshot built by hand for the settings tests: the built-in config's values, two
// templates, no config compiler involved.
import type { NamespaceView, ObjectMeta, Snapshot, Template } from '../../src/injection/types.js';

export const DEFAULT_VALUES = {
  discoveryAddress: 'istiod.istio-system.svc:15010',
  proxy: {
    image: 'docker.io/envoyproxy/envoy:v1.36.2',
    uid: 1337,
    logLevel: 'warning',
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '1Gi' } },
    nativeSidecar: false,
    holdApplicationUntilProxyStarts: false,
    rewriteProbes: false,
  },
  capture: {
    interceptionMode: 'REDIRECT',
    includeInboundPorts: '*',
    excludeInboundPorts: '',
    excludeOutboundPorts: '',
    includeOutboundIPRanges: '*',
    excludeOutboundIPRanges: '',
    initFirst: false,
  },
};

export interface FixtureOptions {
  istio?: boolean;
  values?: Record<string, unknown>;
  templates?: string[];
  defaultTemplates?: string[];
}

export function snapshotFixture(options: FixtureOptions = {}): Snapshot {
  const names = options.templates ?? ['sidecar', 'extra'];
  const templates = new Map<string, Template>(names.map((name) => [name, { name, source: {} }]));
  return Object.freeze({
    revision: 'fixture',
    policy: 'enabled' as const,
    defaultTemplates: Object.freeze(options.defaultTemplates ?? ['sidecar']),
    neverInjectSelector: [],
    alwaysInjectSelector: [],
    ignoredNamespaces: new Set(['kube-system']),
    injectedAnnotations: {},
    compat: Object.freeze({ istio: options.istio ?? true }),
    values: options.values ?? structuredClone(DEFAULT_VALUES),
    templates,
  });
}

/** DEFAULT_VALUES with one value replaced, by dotted path ("proxy.resources.requests.cpu"). */
export function valuesWith(path: string, value: unknown): Record<string, unknown> {
  const values = structuredClone(DEFAULT_VALUES) as Record<string, unknown>;
  const segments = path.split('.');
  let node = values;
  for (const segment of segments.slice(0, -1)) node = node[segment] as Record<string, unknown>;
  const last = segments[segments.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
  return values;
}

export function namespace(annotations: Record<string, string> = {}, labels: Record<string, string> = {}): NamespaceView {
  return { name: 'shop', labels, annotations };
}

export function pod(annotations?: Record<string, string>, labels?: Record<string, string>): ObjectMeta {
  return { name: 'app', annotations, labels };
}
