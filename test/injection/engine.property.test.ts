// Properties of the engine over generated pods and annotation values.
import t from 'tap';
import fc from 'fast-check';
import fjp from 'fast-json-patch';
import { isDeepStrictEqual } from 'node:util';
import { applyOutcome, evaluatePod } from '../../src/injection/engine.js';
import type { NamespaceView, Pod } from '../../src/injection/types.js';
import { snapshotWith } from '../support/config.js';

const snapshot = snapshotWith({}, ['extra']);
const enabled: NamespaceView = { name: 'shop', labels: { 'sidecar-injection': 'enabled' }, annotations: {} };
const request = { kind: 'Pod', operation: 'CREATE' };
const runs = Number(process.env.PROPERTY_RUNS ?? 200);

const dnsLabel = fc.stringMatching(/^[a-z]([-a-z0-9]{0,10}[a-z0-9])?$/);
const hostile = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom(
    '"', "'", '\n', 'a\nb: c', '${pod.name}', '${values}', '{"$eval": "values"}', '$eval', '$let',
    '---\nkind: Pod', 'x: [1, 2]', '{{ .Values }}', '\u0000', '\u202e', 'a"b\'c', '100m\n- name: evil',
    'registry.example.com/app:1.0\n  privileged: true',
  ),
);
const annotationKey = fc.constantFrom(
  'sidecar-injector.io/proxy-image', 'sidecar-injector.io/proxy-cpu', 'sidecar-injector.io/proxy-memory',
  'sidecar-injector.io/log-level', 'sidecar-injector.io/interception-mode',
  'sidecar-injector.io/include-inbound-ports', 'sidecar-injector.io/exclude-outbound-ports',
  'sidecar-injector.io/include-outbound-ip-ranges', 'sidecar-injector.io/exclude-outbound-ip-ranges',
  'sidecar-injector.io/native-sidecar', 'sidecar-injector.io/hold-application-until-proxy-starts',
  'sidecar.istio.io/proxyImage', 'traffic.sidecar.istio.io/excludeInboundPorts', 'proxy.istio.io/config',
  'example.com/anything',
);

const podArb = fc.record({
  name: dnsLabel,
  labels: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), hostile, { maxKeys: 4 }),
  annotations: fc.dictionary(annotationKey, hostile, { maxKeys: 4 }),
  containers: fc.uniqueArray(dnsLabel.filter((n) => n !== 'envoy' && n !== 'log-shipper'), { minLength: 1, maxLength: 3 }),
  initContainers: fc.option(fc.uniqueArray(dnsLabel.map((n) => `init-${n}`), { maxLength: 2 }), { nil: undefined }),
  volumes: fc.option(fc.uniqueArray(dnsLabel.map((n) => `vol-${n}`), { maxLength: 2 }), { nil: undefined }),
  templates: fc.constantFrom(undefined, 'sidecar', 'sidecar,extra', 'extra'),
}).map((p): Pod => {
  const annotations: Record<string, string> = { ...p.annotations };
  if (p.templates) annotations['sidecar-injector.io/templates'] = p.templates;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: p.name, labels: p.labels, annotations },
    spec: {
      containers: p.containers.map((name) => ({ name, image: `${name}:1` })),
      ...(p.initContainers ? { initContainers: p.initContainers.map((name) => ({ name, image: 'init:1' })) } : {}),
      ...(p.volumes ? { volumes: p.volumes.map((name) => ({ name, emptyDir: {} })) } : {}),
    },
  };
});

/** Every path of a JSON value, with array indexes: the structure, not the strings. */
function paths(v: unknown, prefix = '', out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, `${prefix}/${i}`, out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, `${prefix}/${k}`, out);
  else out.push(`${prefix}:${typeof v}`);
  return out;
}

t.test('the patch applies cleanly, equals the injected object, and re-injection is a no-op', async (t) => {
  fc.assert(fc.property(podArb, (pod) => {
    const outcome = evaluatePod(pod, enabled, snapshot, request);
    if (outcome.denial) return outcome.patch.length === 0;
    const injected = applyOutcome(pod, outcome);
    const copy = structuredClone(pod);
    if (fjp.validate(outcome.patch as fjp.Operation[], copy) !== undefined) return false;
    const patched = fjp.applyPatch(copy, fjp.deepClone(outcome.patch), true, false).newDocument;
    if (JSON.stringify(patched) !== JSON.stringify(injected)) return false;
    const again = evaluatePod(injected, enabled, snapshot, request);
    return again.patch.length === 0 && again.decision.reason === 'already-injected';
  }), { numRuns: runs, seed: 42 });
  t.pass(`${runs} generated pods`);
});

t.test('hostile annotation and label values never change the structure of the result', async (t) => {
  const benign: Record<string, string> = {
    'sidecar-injector.io/proxy-image': 'envoy:1', 'sidecar-injector.io/proxy-cpu': '100m',
    'sidecar-injector.io/proxy-memory': '128Mi', 'sidecar-injector.io/log-level': 'info',
    'sidecar-injector.io/interception-mode': 'REDIRECT', 'sidecar-injector.io/include-inbound-ports': '*',
    'sidecar-injector.io/exclude-outbound-ports': '1', 'sidecar-injector.io/include-outbound-ip-ranges': '*',
    'sidecar-injector.io/exclude-outbound-ip-ranges': '10.0.0.0/8', 'sidecar-injector.io/native-sidecar': 'false',
    'sidecar-injector.io/hold-application-until-proxy-starts': 'false', 'sidecar.istio.io/proxyImage': 'envoy:1',
    'traffic.sidecar.istio.io/excludeInboundPorts': '1', 'proxy.istio.io/config': '{}', 'example.com/anything': 'x',
  };
  fc.assert(fc.property(annotationKey, hostile, fc.dictionary(dnsLabel, hostile, { maxKeys: 3 }), (key, value, labels) => {
    const make = (v: string): Pod => ({
      metadata: { name: 'p', labels, annotations: { [key]: v } },
      spec: { containers: [{ name: 'app', image: 'app:1' }] },
    });
    const hostileOutcome = evaluatePod(make(value), enabled, snapshot, request);
    if (hostileOutcome.denial) return hostileOutcome.denial.includes(key) || key === 'example.com/anything';
    const benignOutcome = evaluatePod(make(benign[key]), enabled, snapshot, request);
    const shape = (p: Pod) => paths({ ...p, metadata: { ...p.metadata, annotations: {} } }).sort().join('\n');
    const hostileInjected = applyOutcome(make(value), hostileOutcome);
    // The bootstrap carries the pod's labels as data inside a JSON string: it parses back to them.
    const envoy = [...(hostileInjected.spec!.containers), ...(hostileInjected.spec!.initContainers ?? [])].find((c) => c.name === 'envoy');
    const bootstrap = JSON.parse((envoy!.args as string[])[1]);
    if (!isDeepStrictEqual(bootstrap.node.metadata.LABELS, { ...labels })) return false;
    return shape(hostileInjected) === shape(applyOutcome(make(benign[key]), benignOutcome));
  }), { numRuns: runs, seed: 7 });
  t.pass(`${runs} hostile values`);
});
