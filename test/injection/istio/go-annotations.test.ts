// Istio's annotations as Go's encoding/json writes them: its status, and containers (proxy.istio.io/overrides):
// field order, omitempty, unknown fields dropped, Go's escaping, canonical quantities.
import t from 'tap';
import { goOverrides, goStatus, goTypedJson } from '../../../src/injection/istio/go-annotations.js';

t.test('goOverrides writes each container in the Go type\'s field order', async (t) => {
  const written = JSON.stringify({
    initContainers: [{ args: ['a&b'], image: 'x', name: 'istio-init', resources: {} }],
    containers: [{
      tty: true, securityContext: { runAsUser: 0, allowPrivilegeEscalation: false }, name: 'istio-proxy',
      resources: { requests: { memory: '1024Mi', cpu: '500m' }, limits: { cpu: '3000m' } },
      livenessProbe: { periodSeconds: 2, httpGet: { port: 15021, path: '/healthz' }, initialDelaySeconds: 0 },
      stdin: false, notAField: 1, env: [{ value: 'v', name: 'A' }], ports: [{ containerPort: 80, name: '' }],
    }],
  });
  t.equal(goOverrides(written), JSON.stringify({
    containers: [{
      name: 'istio-proxy', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: 'v' }],
      resources: { limits: { cpu: '3' }, requests: { cpu: '500m', memory: '1Gi' } },
      livenessProbe: { httpGet: { path: '/healthz', port: 15021 }, periodSeconds: 2 },
      securityContext: { runAsUser: 0, allowPrivilegeEscalation: false }, tty: true,
    }],
    initContainers: [{ name: 'istio-init', image: 'x', args: ['a\u0026b'], resources: {} }],
  }).replace('a&b', 'a\\u0026b'), 'pointers keep zero values, omitempty drops them, unknown fields go, & is escaped');
  t.equal(goOverrides('{not json'), '{not json', 'not JSON: as written');
  t.equal(goOverrides('{}'), '{}');
});

t.test('goTypedJson writes a ContainerPort as Istio\'s pod-ports list does', async (t) => {
  t.equal(goTypedJson({ protocol: 'TCP', containerPort: 8080, name: 'http', hostPort: 0 }, 'ContainerPort'), '{"name":"http","containerPort":8080,"protocol":"TCP"}');
});

t.test('goStatus writes Istio\'s status in its Go type\'s field order', async (t) => {
  const sorted = '{"containers":["istio-proxy"],"imagePullSecrets":null,"initContainers":["istio-init"],"revision":"default","volumes":["istio-envoy"]}';
  t.equal(goStatus(sorted), '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"],"imagePullSecrets":null,"revision":"default"}');
  t.equal(goStatus('nope'), 'nope');
});
