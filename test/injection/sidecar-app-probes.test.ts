// The built-in template's Envoy answers the rewritten probes on its status listener (15021):
// HTTP ones by forwarding to the app on loopback, TCP and gRPC ones from health-checked
// clusters. Without `appProbers` it renders exactly as before.
import t from 'tap';
import { podWith, renderSidecar } from '../support/render-sidecar.js';

type Json = Record<string, any>;

function statusListener(bootstrap: Json): { routes: Json[]; filters: Json[]; clusters: Json[] } {
  const listener = bootstrap.static_resources.listeners.find((l: Json) => l.name === 'readiness');
  const hcm = listener.filter_chains[0].filters[0].typed_config;
  return { routes: hcm.route_config.virtual_hosts[0].routes, filters: hcm.http_filters, clusters: bootstrap.static_resources.clusters };
}

t.test('absent, null and empty appProbers render the same', async (t) => {
  const pod = podWith();
  const absent = renderSidecar(pod).fragment;
  t.same(renderSidecar(pod, null).fragment, absent);
  t.same(renderSidecar(pod, []).fragment, absent);
  const { routes, filters, clusters } = statusListener(renderSidecar(pod).bootstrap);
  t.same(routes.map((r) => r.match.path), ['/healthz/ready']);
  t.same(filters.map((f) => f.name), ['envoy.filters.http.router']);
  t.same(clusters.map((c) => c.name), ['xds-grpc', 'admin']);
});

t.test('each probe kind gets its route or health-checked cluster', async (t) => {
  const appProbers = [
    { path: '/app-health/app/livez', prober: { httpGet: { path: '/live', port: 8080 }, timeoutSeconds: 3 } },
    { path: '/app-health/app/readyz', prober: { httpGet: { path: 'ready', port: 8443, scheme: 'HTTPS' } } },
    { path: '/app-health/app/startupz', prober: { tcpSocket: { port: 9090 }, timeoutSeconds: 5 } },
    { path: '/app-health/grpc/livez', prober: { grpc: { port: 9000, service: 'svc' } } },
    { path: '/app-health/grpc/readyz', prober: { grpc: { port: 9000 } } },
    { path: '/app-lifecycle/app/prestopz', prober: { httpGet: { port: 8080 } } },
  ];
  const { routes, filters, clusters } = statusListener(renderSidecar(podWith(), appProbers).bootstrap);
  t.same(routes.slice(1), [
    { match: { path: '/app-health/app/livez' }, route: { cluster: 'app-probe-0', prefix_rewrite: '/live', timeout: '3s' } },
    { match: { path: '/app-health/app/readyz' }, route: { cluster: 'app-probe-1', prefix_rewrite: '/ready', timeout: '1s' } },
    { match: { path: '/app-lifecycle/app/prestopz' }, route: { cluster: 'app-probe-5', prefix_rewrite: '/', timeout: '0s' } },
  ], 'HTTP probes are forwarded to the app path, with the probe timeout (none for a hook)');
  t.same(filters.map((f) => [f.name, f.typed_config.headers?.[0].string_match.exact]), [
    ['app-probe-2', '/app-health/app/startupz'],
    ['app-probe-3', '/app-health/grpc/livez'],
    ['app-probe-4', '/app-health/grpc/readyz'],
    ['envoy.filters.http.router', undefined],
  ], 'TCP and gRPC probes are answered by health check filters before the router');
  t.same(filters[0].typed_config.cluster_min_healthy_percentages, { 'app-probe-2': { value: 100 } });
  t.equal(filters[0].typed_config.pass_through_mode, false);

  const byName = new Map<string, Json>(clusters.map((c) => [c.name, c]));
  const port = (name: string) => byName.get(name)!.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
  t.same(port('app-probe-0'), { address: '127.0.0.1', port_value: 8080 }, 'the app on loopback');
  t.notOk(byName.get('app-probe-0')!.transport_socket, 'HTTP: plain');
  t.equal(byName.get('app-probe-1')!.transport_socket.name, 'envoy.transport_sockets.tls', 'HTTPS: TLS to the app');
  t.same(byName.get('app-probe-2')!.health_checks, [{
    timeout: '5s', interval: '1s', no_traffic_interval: '1s', unhealthy_threshold: 1, healthy_threshold: 1, tcp_health_check: {},
  }]);
  t.same(byName.get('app-probe-3')!.health_checks[0].grpc_health_check, { service_name: 'svc' });
  t.same(byName.get('app-probe-4')!.health_checks[0].grpc_health_check, {});
  t.ok(byName.get('app-probe-4')!.typed_extension_protocol_options, 'gRPC health checks speak HTTP/2');
});

t.test('a hostile path stays data', async (t) => {
  const path = '/app-health/x"}]/livez';
  const { routes } = statusListener(renderSidecar(podWith(), [{ path, prober: { httpGet: { path: '/${oops}', port: 1 } } }]).bootstrap);
  t.same(routes[1], { match: { path }, route: { cluster: 'app-probe-0', prefix_rewrite: '/${oops}', timeout: '1s' } });
});
