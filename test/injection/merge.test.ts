// Merge by name (merge.ts), the patch between a pod's entry and its merged form (diffOps),
// and the probe-rewriting hook point of the engine.
import t from 'tap';
import fjp from 'fast-json-patch';
import { applyOutcome, evaluatePod } from '../../src/injection/engine.js';
import { mergeContainer, mergeVolume, overrideFields, refreshContainer, refreshVolume, sameJson, strategicList } from '../../src/injection/merge.js';
import { diffOps } from '../../src/injection/patch.js';
import type { ProbeRewriter } from '../../src/injection/probe-hook.js';
import type { NamespaceView, PatchOperation, Pod } from '../../src/injection/types.js';
import { parse, stringify } from 'yaml';
import { compileSnapshot } from '../../src/config/compile.js';
import { configFiles, snapshotWith } from '../support/config.js';

const enabled: NamespaceView = { name: 'shop', labels: { 'sidecar-injection': 'enabled' }, annotations: {} };
const request = { kind: 'Pod', operation: 'CREATE' };

t.test('mergeContainer: the pod wins; keyed lists gain entries; atomic lists replace; image auto', async (t) => {
  const rendered = Object.freeze({
    name: 'envoy', image: 'envoy:1', args: ['--a'], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
    ports: [{ containerPort: 15090 }], resources: { requests: { cpu: '100m' }, limits: { cpu: '2', memory: '1Gi' } },
  });
  const pod = { name: 'envoy', image: 'auto', args: ['--b'], env: [{ name: 'B', value: 'mine' }], resources: { limits: { memory: '2Gi' } } };
  t.same(mergeContainer(pod, rendered), {
    name: 'envoy', image: 'envoy:1', args: ['--b'], env: [{ name: 'B', value: 'mine' }, { name: 'A', value: '1' }],
    resources: { limits: { memory: '2Gi', cpu: '2' }, requests: { cpu: '100m' } }, ports: [{ containerPort: 15090 }],
  });
  t.same(pod.env, [{ name: 'B', value: 'mine' }], 'the input is not modified');
  const hostile = JSON.parse('{"name":"app","__proto__":{"polluted":true},"securityContext":{"__proto__":{"x":1}}}');
  const merged = mergeContainer(hostile, { name: 'app', securityContext: { runAsUser: 1 }, ['__proto__' as string]: { other: 1 } });
  t.ok(Object.hasOwn(merged, '__proto__'), '__proto__ stays an own key');
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype touched');
  t.same(JSON.parse(JSON.stringify(merged)).securityContext, JSON.parse('{"__proto__":{"x":1},"runAsUser":1}'));
});

t.test('mergeVolume: same kind merges, another kind is refused', async (t) => {
  t.same(mergeVolume({ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: { medium: 'Memory' } }), { value: { name: 'v', emptyDir: { medium: 'Memory' } } });
  t.same(mergeVolume({ name: 'v' }, { name: 'v', emptyDir: {} }), { value: { name: 'v', emptyDir: {} } }, 'a bare name takes the rendered source');
  t.match(mergeVolume({ name: 'v', configMap: { name: 'c' } }, { name: 'v', emptyDir: {} }), { problem: /is configMap but the template renders it as emptyDir/ });
});

t.test('diffOps: adds where it can, replace where a value changes; always applies', async (t) => {
  const cases: Array<[unknown, unknown]> = [
    [{ a: 1 }, { a: 1, b: { c: 2 } }],
    [{ a: [1, 2] }, { a: [1, 2, 3] }],
    [{ a: [1, 2] }, { a: [2, 1] }],
    [{ a: [1, 2, 3] }, { a: [1] }],
    [{ 'x/y': { '~z': 1 } }, { 'x/y': { '~z': 2 } }],
    [{ a: 1, b: 2 }, { a: 1 }],
    [{ a: 'x' }, { a: { b: 1 } }],
  ];
  for (const [before, after] of cases) {
    const ops: PatchOperation[] = [];
    diffOps('/root', before, after, ops);
    const doc = { root: structuredClone(before) };
    fjp.applyPatch(doc, fjp.deepClone(ops), true, true);
    t.ok(sameJson(doc.root, after), `${JSON.stringify(before)} → ${JSON.stringify(after)}: ${JSON.stringify(ops)}`);
  }
  const ops: PatchOperation[] = [];
  diffOps('', { a: 1 }, { a: 1, b: 2 }, ops);
  t.same(ops, [{ op: 'add', path: '/b', value: 2 }], 'only the new key');
  t.same(overrideFields({ name: 'a', readinessProbe: { tcpSocket: { port: 1 } } }, { name: 'x', readinessProbe: { httpGet: { port: 2 } } }),
    { name: 'a', readinessProbe: { httpGet: { port: 2 } } }, 'override replaces, never renames');
});

t.test('the probe rewriting hook: appProbers reach templates, rewritten probes replace the app\'s', async (t) => {
  const base = snapshotWith();
  const probersTemplate = { annotations: { 'example.com/probers': { $json: { $eval: 'appProbers' } } } };
  const snapshot = { ...base, templates: new Map([...base.templates, ['probers', { name: 'probers', source: probersTemplate }]]) };
  const calls: unknown[] = [];
  const rewriter: ProbeRewriter = (spec, opts) => {
    calls.push(opts);
    return {
      containers: [{ name: 'app', readinessProbe: { httpGet: { path: '/app-health/app/readyz', port: opts.statusPort } } }, { name: 'gone' }],
      appProbers: { '/app-health/app/readyz': { httpGet: { path: '/ready', port: 8080 } }, '/seen': { tcpSocket: { port: spec.containers.length } } },
    };
  };
  const pod: Pod = {
    metadata: { name: 'p', annotations: { 'sidecar-injector.io/rewrite-probes': 'true', 'sidecar-injector.io/templates': 'sidecar,probers', 'sidecar-injector.io/exclude-inbound-ports': '9000' } },
    spec: { containers: [{ name: 'app', image: 'app:1', readinessProbe: { httpGet: { path: '/ready', port: 8080 } } }] },
  };
  const outcome = evaluatePod(pod, enabled, snapshot, request, { probeRewriter: rewriter });
  t.same(calls, [{ statusPort: 15021, excludedInboundPorts: [9000] }]);
  const injected = applyOutcome(pod, outcome);
  t.same(injected.spec!.containers[0].readinessProbe, { httpGet: { path: '/app-health/app/readyz', port: 15021 } });
  t.same(JSON.parse(injected.metadata!.annotations!['example.com/probers'])[1], { path: '/seen', prober: { tcpSocket: { port: 1 } } },
    'templates see appProbers, a list sorted by path');
  t.match(JSON.parse(injected.metadata!.annotations!['sidecar-injector.io/status']), { modifiedContainers: ['app'] });
  t.same(fjp.applyPatch(structuredClone(pod), fjp.deepClone(outcome.patch), true, false).newDocument, injected, 'the patch gives the same pod');
  const off = evaluatePod({ ...pod, metadata: { ...pod.metadata, annotations: { ...pod.metadata!.annotations, 'sidecar-injector.io/rewrite-probes': 'false' } } },
    enabled, snapshot, request, { probeRewriter: rewriter });
  t.equal(calls.length, 1, 'not called when rewrite-probes is off');
  t.equal(JSON.parse(applyOutcome(pod, off).metadata!.annotations!['example.com/probers'] ?? 'null'), null, 'appProbers is null when off');
});

t.test('a template that turns probe rewriting off (Istio\'s gRPC templates) leaves the probes; the pod\'s own annotation wins', async (t) => {
  const files = configFiles();
  const config = parse(files['config.yaml']) as { values: { proxy: Record<string, unknown> } };
  config.values.proxy.rewriteProbes = true;
  files['config.yaml'] = stringify(config);
  files['no-rewrite.template.yaml'] = 'annotations: {sidecar-injector.io/rewrite-probes: "false"}\n';
  const snapshot = compileSnapshot(files, { ownNamespace: 'sidecar-injector' });
  const probe = { httpGet: { path: '/ready', port: 8080 } };
  const pod = (annotations: Record<string, string>): Pod => ({
    metadata: { name: 'p', annotations: { 'sidecar-injector.io/templates': 'sidecar,no-rewrite', ...annotations } },
    spec: { containers: [{ name: 'app', image: 'app:1', readinessProbe: probe }] },
  });
  const probeOf = (p: Pod): unknown => applyOutcome(p, evaluatePod(p, enabled, snapshot, request)).spec!.containers[0].readinessProbe;
  t.same(probeOf(pod({})), probe, 'not rewritten');
  t.not(JSON.stringify(probeOf({ ...pod({}), metadata: { name: 'p', annotations: {} } })), JSON.stringify(probe), 'rewritten without that template');
  t.match(probeOf(pod({ 'sidecar-injector.io/rewrite-probes': 'true' })), { httpGet: { path: '/app-health/app/readyz' } }, 'the pod asking for it still gets it');
});

t.test('strategicList: the patch\'s entries in its order, the server\'s others interleaved where the server had them', async (t) => {
  const e = (name: string, value = 's'): { name: string; value: string } => ({ name, value });
  const order = (server: string[], patch: string[]): string[] => strategicList(server.map((n) => e(n)), patch.map((n) => e(n, 'p')), 'name').map((x) => x.name);
  t.same(order(['J', 'P', 'C'], ['P', 'C', 'N']), ['J', 'P', 'C', 'N'], 'a server entry before the patch\'s first shared one stays first');
  t.same(order(['A', 'X', 'B'], ['B', 'C']), ['A', 'X', 'B', 'C']);
  t.same(order(['X', 'B', 'Y'], ['A', 'B']), ['A', 'X', 'B', 'Y'], 'an entry new to the server does not wait for the server\'s');
  t.same(order([], ['A', 'A']), ['A', 'A'], 'a repeated patch key is kept');
  const merged = strategicList([e('A'), e('B')], [e('B', 'p')], 'name');
  t.same(merged, [e('A'), e('B', 'p')], 'the patch\'s entry replaces the server\'s');
});

t.test('refreshContainer: the template wins over an earlier injection; what only the old one has stays', async (t) => {
  const old = Object.freeze({
    name: 'istio-proxy', image: 'proxyv2:old', args: ['old'], env: [{ name: 'OLD', value: '1' }, { name: 'P', value: 'old' }],
    resources: { limits: { cpu: '2' } }, stdin: true,
  });
  const rendered = { name: 'istio-proxy', image: 'proxyv2:new', args: ['new'], env: [{ name: 'P', value: 'new' }, { name: 'N', value: '2' }], resources: { requests: { cpu: '100m' } } };
  t.same(refreshContainer(old, rendered), {
    name: 'istio-proxy', image: 'proxyv2:new', args: ['new'], env: [{ name: 'OLD', value: '1' }, { name: 'P', value: 'new' }, { name: 'N', value: '2' }],
    resources: { limits: { cpu: '2' }, requests: { cpu: '100m' } }, stdin: true,
  });
  t.same(refreshVolume({ name: 'v', emptyDir: { sizeLimit: '1Gi' } }, { name: 'v', emptyDir: { medium: 'Memory' } }), { name: 'v', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } });
  t.same(refreshVolume({ name: 'v', configMap: { name: 'c' } }, { name: 'v', emptyDir: {} }), { name: 'v', emptyDir: {} }, 'another kind replaces the old source');
});
