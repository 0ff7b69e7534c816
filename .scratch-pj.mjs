import protobuf from 'protobufjs';
import 'protobufjs/ext/protojson.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
const DEPS = '/work/wt-envoy-probes/node_modules/@grpc/grpc-js-xds/deps';
const roots = [...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(DEPS, d)), '/work/wt-envoy-probes/node_modules/protobufjs'];
const root = new protobuf.Root();
root.resolvePath = (origin, target) => { for (const r of roots) { const p = join(r, target); if (existsSync(p)) return p; } return target; };
const files = ['envoy/config/bootstrap/v3/bootstrap.proto',
 'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
 'envoy/extensions/filters/http/router/v3/router.proto',
 'envoy/extensions/filters/http/health_check/v3/health_check.proto',
 'envoy/extensions/transport_sockets/tls/v3/tls.proto',
 'envoy/extensions/upstreams/http/v3/http_protocol_options.proto'];
let t0=Date.now();
root.loadSync(files);
root.resolveAll();
console.log('load ms', Date.now()-t0);
const B = root.lookupType('envoy.config.bootstrap.v3.Bootstrap');
const pj = protobuf.protojson;
const ok = {admin: {address: {socket_address: {address: '127.0.0.1', port_value: 15000}}}, static_resources: {clusters: [{name: 'a', connect_timeout: '0.25s', typed_extension_protocol_options: {'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {'@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: {http2_protocol_options: {}}}}}]}, node: {metadata: {A: 'x', L: {a: 'b'}}}};
console.log(JSON.stringify(pj.toJson(B, pj.fromJson(B, ok))).slice(0,300));
for (const bad of [{admin: {adress: {}}}, {static_resources: {clusters: [{name: 'a', typed_extension_protocol_options: {x: {'@type': 'type.googleapis.com/envoy.Nope'}}}]}}, {static_resources: {clusters: [{name: 'a', typed_extension_protocol_options: {x: {'@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', bogus: 1}}}]}}, {static_resources: {clusters: [{name: 'a', type: 'STRICTDNS'}]}}]) {
  try { pj.fromJson(B, bad); console.log('ACCEPTED', JSON.stringify(bad)); } catch (e) { console.log('rejected:', e.message); }
}
