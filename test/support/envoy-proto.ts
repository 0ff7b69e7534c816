// Envoy's v3 API, loaded from the .proto files that ship in @grpc/grpc-js-xds (deps/), to
// check rendered bootstraps the way Envoy reads them: protobufjs's ProtoJSON reader
// refuses unknown fields, unknown enum names and an `@type` naming a message not loaded.
// (Its `fromObject` would not: it drops what it does not know.)
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import protojson from 'protobufjs/ext/protojson.js';

const require = createRequire(import.meta.url);
const DEPS = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
/** google/protobuf/descriptor.proto (which Envoy's option protos import) ships with protobufjs. */
const PROTOBUFJS = dirname(require.resolve('protobufjs/package.json'));
const IMPORT_ROOTS = [...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(DEPS, d)), PROTOBUFJS];

/**
 * The bootstrap and every extension the built-in template names by `@type`. Envoy's
 * tracers are not loaded: their opencensus imports have no .proto in the package.
 */
export const ENVOY_PROTOS = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/health_check/v3/health_check.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
];

let bootstrapType: protobuf.Type | undefined;

function loadBootstrapType(): protobuf.Type {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => IMPORT_ROOTS.map((r) => join(r, target)).find((p) => existsSync(p)) ?? target;
  root.loadSync(ENVOY_PROTOS);
  root.resolveAll();
  return root.lookupType('envoy.config.bootstrap.v3.Bootstrap');
}

/** Parses `json` strictly as envoy.config.bootstrap.v3.Bootstrap; throws naming what is wrong. */
export function parseBootstrap(json: unknown): void {
  bootstrapType ??= loadBootstrapType();
  protojson.fromJson(bootstrapType, json);
}
