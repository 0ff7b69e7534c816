// Probe rewriting, table-driven: what the kubelet is told to probe, and the prober the
// proxy runs instead (Istio's ISTIO_KUBE_APP_PROBERS format).
import t from 'tap';
import { appProberList, rewriteAppProbes } from '../../src/injection/probe-rewrite.js';
import type { Container, PodSpec } from '../../src/injection/types.js';

const OPTS = { statusPort: 15021, excludedInboundPorts: [9999] };
const PORTS = [{ name: 'http', containerPort: 8080 }, { name: 'grpc', containerPort: 9000 }];

function app(fields: Partial<Container>): PodSpec {
  return { containers: [{ name: 'app', image: 'app', ports: PORTS, ...fields }] };
}

interface Case {
  name: string;
  spec: PodSpec;
  /** Expected rewritten containers (only those that change). */
  containers: unknown[];
  appProbers: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    name: 'HTTP liveness on a named port, headers kept',
    spec: app({ livenessProbe: { httpGet: { path: '/live', port: 'http', httpHeaders: [{ name: 'X-A', value: 'b' }] }, periodSeconds: 5 } }),
    containers: [{ name: 'app', livenessProbe: { httpGet: { path: '/app-health/app/livez', port: 15021, httpHeaders: [{ name: 'X-A', value: 'b' }] }, periodSeconds: 5 } }],
    appProbers: { '/app-health/app/livez': { httpGet: { path: '/live', port: 8080, httpHeaders: [{ name: 'X-A', value: 'b' }] } } },
  },
  {
    name: 'HTTPS readiness: the kubelet asks over HTTP, the proxy over HTTPS',
    spec: app({ readinessProbe: { httpGet: { path: '/ready', port: 8443, scheme: 'HTTPS' }, timeoutSeconds: 4 } }),
    containers: [{ name: 'app', readinessProbe: { httpGet: { path: '/app-health/app/readyz', port: 15021, scheme: 'HTTP' }, timeoutSeconds: 4 } }],
    appProbers: { '/app-health/app/readyz': { httpGet: { path: '/ready', port: 8443, scheme: 'HTTPS' }, timeoutSeconds: 4 } },
  },
  {
    name: 'TCP startup probe becomes an HTTP GET',
    spec: app({ startupProbe: { tcpSocket: { port: 'http' }, failureThreshold: 30 } }),
    containers: [{ name: 'app', startupProbe: { httpGet: { path: '/app-health/app/startupz', port: 15021 }, failureThreshold: 30 } }],
    appProbers: { '/app-health/app/startupz': { tcpSocket: { port: 8080 } } },
  },
  {
    name: 'gRPC probes, with and without a service',
    spec: app({ livenessProbe: { grpc: { port: 9000 } }, readinessProbe: { grpc: { port: 9000, service: 'ready' }, timeoutSeconds: 2 } }),
    containers: [{
      name: 'app',
      livenessProbe: { httpGet: { path: '/app-health/app/livez', port: 15021 } },
      readinessProbe: { httpGet: { path: '/app-health/app/readyz', port: 15021 }, timeoutSeconds: 2 },
    }],
    appProbers: {
      '/app-health/app/livez': { grpc: { port: 9000 } },
      '/app-health/app/readyz': { grpc: { port: 9000, service: 'ready' }, timeoutSeconds: 2 },
    },
  },
  {
    name: 'lifecycle httpGet hooks; exec hooks stay',
    spec: app({ lifecycle: { preStop: { httpGet: { path: '/drain', port: 'http' } }, postStart: { exec: { command: ['true'] } } } }),
    containers: [{ name: 'app', lifecycle: { preStop: { httpGet: { path: '/app-lifecycle/app/prestopz', port: 15021 } }, postStart: { exec: { command: ['true'] } } } }],
    appProbers: { '/app-lifecycle/app/prestopz': { httpGet: { path: '/drain', port: 8080 } } },
  },
  {
    name: 'a tcpSocket lifecycle hook (the kubelet fails it) becomes an HTTP call to the agent, which checks the port',
    spec: app({ lifecycle: { postStart: { tcpSocket: { port: 'http' } }, preStop: { tcpSocket: { port: 8080, host: 'db' } } } }),
    containers: [{ name: 'app', lifecycle: { postStart: { httpGet: { path: '/app-lifecycle/app/poststartz', port: 15021 } }, preStop: { tcpSocket: { port: 8080, host: 'db' } } } }],
    appProbers: { '/app-lifecycle/app/poststartz': { tcpSocket: { port: 8080 } } },
  },
  { name: 'a probe on a port excluded from capture', spec: app({ livenessProbe: { httpGet: { path: '/', port: 9999 } } }), containers: [], appProbers: {} },
  { name: 'a probe already on the status port (rewritten before)', spec: app({ livenessProbe: { httpGet: { path: '/app-health/app/livez', port: 15021 } } }), containers: [], appProbers: {} },
  { name: 'a named port the container does not declare', spec: app({ livenessProbe: { tcpSocket: { port: 'metrics' } } }), containers: [], appProbers: {} },
  { name: 'a probe naming its own host', spec: app({ livenessProbe: { httpGet: { path: '/', port: 8080, host: '10.0.0.1' } } }), containers: [], appProbers: {} },
  { name: 'an exec probe', spec: app({ livenessProbe: { exec: { command: ['true'] } } }), containers: [], appProbers: {} },
  { name: 'a pod with no probes', spec: app({}), containers: [], appProbers: {} },
  {
    name: 'malformed values are left to the apiserver',
    spec: app({
      livenessProbe: { httpGet: { path: '/a b', port: 8080 } },
      readinessProbe: { httpGet: { path: '/', port: 70000 } },
      startupProbe: { grpc: { port: '9000' } } as never,
      lifecycle: { preStop: { httpGet: { port: 8080, httpHeaders: 'x' } } } as never,
    }),
    containers: [],
    appProbers: {},
  },
  {
    name: 'the proxy container (probed on the status port) is skipped; init (native) sidecars are rewritten',
    spec: {
      initContainers: [{ name: 'agent', restartPolicy: 'Always', readinessProbe: { tcpSocket: { port: 7000 } } }],
      containers: [{ name: 'envoy', readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021 } } }, { name: 'Bad_Name', livenessProbe: { tcpSocket: { port: 1 } } }],
    },
    containers: [{ name: 'agent', readinessProbe: { httpGet: { path: '/app-health/agent/readyz', port: 15021 } } }],
    appProbers: { '/app-health/agent/readyz': { tcpSocket: { port: 7000 } } },
  },
];

for (const c of CASES) {
  t.test(c.name, async (t) => {
    const before = JSON.stringify(c.spec);
    const result = rewriteAppProbes(c.spec, OPTS);
    t.same(result.containers, c.containers, 'rewritten containers');
    t.same(result.appProbers, c.appProbers, 'app probers');
    t.equal(JSON.stringify(c.spec), before, 'the input is not modified');
  });
}

t.test('rewriting a rewritten pod changes nothing', async (t) => {
  const spec = app({ livenessProbe: { httpGet: { path: '/live', port: 'http' } }, readinessProbe: { tcpSocket: { port: 8080 } } });
  const first = rewriteAppProbes(spec, OPTS);
  const rewritten: PodSpec = { containers: [{ ...spec.containers[0]!, ...first.containers[0] }] };
  t.same(rewriteAppProbes(rewritten, OPTS), { containers: [], appProbers: {} });
});

t.test('appProberList sorts by path', async (t) => {
  t.same(appProberList({ '/b': { tcpSocket: { port: 2 } }, '/a': { tcpSocket: { port: 1 } } }), [
    { path: '/a', prober: { tcpSocket: { port: 1 } } }, { path: '/b', prober: { tcpSocket: { port: 2 } } },
  ]);
});

t.test('hostile shapes never throw', async (t) => {
  for (const spec of [{}, { containers: 'x' }, { containers: [null, 1, 'a', { name: 5 }] }, { containers: [{ name: 'a', ports: 'x', livenessProbe: [] }] }]) {
    t.same(rewriteAppProbes(spec as unknown as PodSpec, OPTS), { containers: [], appProbers: {} }, JSON.stringify(spec));
  }
});

t.test('a rewritten probe keeps its fields in their order, httpGet in its place or last', async (t) => {
  const spec: PodSpec = {
    containers: [{
      name: 'app', image: 'app', ports: PORTS,
      livenessProbe: { initialDelaySeconds: 3, httpGet: { port: 'http', path: '/live' }, periodSeconds: 5 },
      readinessProbe: { periodSeconds: 2, tcpSocket: { port: 8080 }, failureThreshold: 4 },
    }],
  };
  const [rewritten] = rewriteAppProbes(spec, OPTS).containers;
  t.same(Object.keys(rewritten.livenessProbe!), ['initialDelaySeconds', 'httpGet', 'periodSeconds']);
  t.same(Object.keys(rewritten.readinessProbe!), ['periodSeconds', 'failureThreshold', 'httpGet']);
});

t.test('a probe field named __proto__ stays a field and changes no prototype', async (t) => {
  const probe = JSON.parse('{"httpGet":{"port":8080},"__proto__":{"polluted":true}}');
  const [rewritten] = rewriteAppProbes({ containers: [{ name: 'app', image: 'app', livenessProbe: probe }] }, OPTS).containers;
  const out = rewritten.livenessProbe as Record<string, unknown>;
  t.equal(Object.getPrototypeOf(out), Object.prototype);
  t.same(Object.keys(out), ['httpGet', '__proto__']);
  t.equal((out as { polluted?: unknown }).polluted, undefined);
});
