// Every Envoy bootstrap the built-in template renders is one Envoy accepts: it parses
// strictly as envoy.config.bootstrap.v3.Bootstrap (unknown fields, enum names and `@type`s
// fail), in each capture mode, native, holding the app, and answering each kind of probe.
import t from 'tap';
import type { Container } from '../../src/injection/types.js';
import { parseBootstrap } from '../support/envoy-proto.js';
import { podWith, renderSidecar } from '../support/render-sidecar.js';

const NATIVE = 'sidecar-injector.io/native-sidecar';
const MODE = 'sidecar-injector.io/interception-mode';
const HOLD = 'sidecar-injector.io/hold-application-until-proxy-starts';

/** An app container with one probe of each kind and an HTTP preStop hook. */
const PROBED: Partial<Container> = {
  ports: [{ name: 'http', containerPort: 8080 }, { name: 'admin', containerPort: 9090 }],
  livenessProbe: { httpGet: { path: '/live', port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] }, timeoutSeconds: 3 },
  readinessProbe: { httpGet: { path: 'ready', port: 8443, scheme: 'HTTPS' } },
  startupProbe: { tcpSocket: { port: 'admin' } },
  lifecycle: { preStop: { httpGet: { path: '/drain', port: 8080 } } },
};
const GRPC: Partial<Container> = {
  livenessProbe: { grpc: { port: 9000 } },
  readinessProbe: { grpc: { port: 9000, service: 'ready' }, timeoutSeconds: 2 },
};

const CASES: Array<[string, Record<string, string>, Partial<Container>?]> = [
  ['REDIRECT (default)', {}],
  ['TPROXY', { [MODE]: 'TPROXY' }],
  ['NONE', { [MODE]: 'NONE' }],
  ['native sidecar', { [NATIVE]: 'true' }],
  ['hold application', { [HOLD]: 'true' }],
  ['native and hold', { [NATIVE]: 'true', [HOLD]: 'true' }],
  ['HTTP, HTTPS, TCP probes and a lifecycle hook', {}, PROBED],
  ['gRPC probes', {}, GRPC],
  ['probes, native, TPROXY', { [NATIVE]: 'true', [MODE]: 'TPROXY' }, PROBED],
];

for (const [name, annotations, app] of CASES) {
  t.test(name, async (t) => {
    const { bootstrap } = renderSidecar(podWith(annotations, app), app ? 'rewrite' : undefined);
    t.doesNotThrow(() => parseBootstrap(bootstrap), 'parses as envoy.config.bootstrap.v3.Bootstrap');
  });
}

t.test('the check is strict', async (t) => {
  const { bootstrap } = renderSidecar(podWith({}, PROBED), 'rewrite');
  const misspelled = structuredClone(bootstrap) as { admin: Record<string, unknown> };
  misspelled.admin.adress = misspelled.admin.address;
  delete misspelled.admin.address;
  t.throws(() => parseBootstrap(misspelled), /unknown field: "adress"/, 'a misspelled field fails');

  const text = JSON.stringify(bootstrap);
  const unknownType = JSON.parse(text.replace('envoy.extensions.filters.http.router.v3.Router', 'envoy.extensions.filters.http.router.v3.Routr'));
  t.throws(() => parseBootstrap(unknownType), /no such type/, 'an unresolvable @type fails');

  const badEnum = JSON.parse(text.replace('"STRICT_DNS"', '"STRICTDNS"'));
  t.throws(() => parseBootstrap(badEnum), /unknown enum value/, 'an unknown enum name fails');

  const inAny = JSON.parse(text.replace('"pass_through_mode":false', '"pass_through_mode":false,"passthrough":true'));
  t.throws(() => parseBootstrap(inAny), /unknown field: "passthrough"/, 'an unknown field inside a typed config fails');
});
