// Settings resolution (README.md: "Per-pod settings"), against a hand-built Snapshot; opt-in intent is in intent.test.ts.
import t from 'tap';
import fc from 'fast-check';
import { keysOfSetting, SETTINGS } from '../../src/injection/settings-catalogue.js';
import { configDefaults, resolveSettings } from '../../src/injection/resolve-settings.js';
import type { EffectiveSetting } from '../../src/injection/types.js';
import { namespace, pod, snapshotFixture, valuesWith } from './snapshot-fixture.js';

const snapshot = snapshotFixture();
const noCompat = snapshotFixture({ istio: false });

function effectiveOf(effective: EffectiveSetting[], name: string): EffectiveSetting {
  const found = effective.find((e) => e.name === name);
  if (!found) throw new Error(`no effective setting ${name}`);
  return found;
}

t.test('defaults come from the config, in one shape', async (t) => {
  const r = resolveSettings(undefined, namespace(), snapshot);
  t.equal(r.denial, undefined);
  t.same(r.warnings, []);
  t.same(r.templates, ['sidecar']);
  t.same(r.settings, {
    templates: ['sidecar'],
    proxyImage: 'docker.io/envoyproxy/envoy:v1.36.2',
    proxyCPU: '100m', proxyMemory: '128Mi', proxyCPULimit: '2', proxyMemoryLimit: '1Gi',
    logLevel: 'warning', interceptionMode: 'REDIRECT',
    includeInboundPorts: '*', excludeInboundPorts: [], excludeOutboundPorts: [],
    includeOutboundIPRanges: '*', excludeOutboundIPRanges: [],
    nativeSidecar: false, holdApplicationUntilProxyStarts: false, rewriteProbes: false, initFirst: false,
    csv: { includeInboundPorts: '*', excludeInboundPorts: '', excludeOutboundPorts: '', includeOutboundIPRanges: '*', excludeOutboundIPRanges: '' },
  });
  t.same(r.effective.map((e) => e.name), SETTINGS.map((s) => s.name), 'catalog order');
  for (const e of r.effective) {
    t.equal(e.source, 'config', `${e.name} from config`);
    t.notOk('key' in e, `${e.name} has no key`);
  }
  t.equal(effectiveOf(r.effective, 'proxyCPU').annotation, 'proxy-cpu');
});

t.test('config defaults written as YAML numbers and lists resolve to the same shape', async (t) => {
  let values = valuesWith('proxy.resources.limits.cpu', 2);
  values = { ...values, capture: { ...(values.capture as object), excludeOutboundPorts: [5432, 6379], excludeOutboundIPRanges: ['10.0.0.0/8'] } };
  const r = resolveSettings(undefined, namespace(), snapshotFixture({ values }));
  t.equal(r.denial, undefined);
  t.equal(r.settings.proxyCPULimit, '2');
  t.same(r.settings.excludeOutboundPorts, [5432, 6379]);
  t.same(r.settings.csv, { includeInboundPorts: '*', excludeInboundPorts: '', excludeOutboundPorts: '5432,6379', includeOutboundIPRanges: '*', excludeOutboundIPRanges: '10.0.0.0/8' });
});

t.test('config defaults are parsed once per snapshot and cannot be changed by a caller', async (t) => {
  const s = snapshotFixture({ values: valuesWith('capture.excludeInboundPorts', '15020') });
  t.equal(configDefaults(s), configDefaults(s), 'cached');
  const a = resolveSettings(undefined, namespace(), s);
  const b = resolveSettings(undefined, namespace(), s);
  t.equal(a.settings.excludeInboundPorts, b.settings.excludeInboundPorts, 'the same parsed default is shared');
  t.ok(Object.isFrozen(a.settings.excludeInboundPorts), 'and frozen');
  t.not(a.templates, b.templates, 'templates is a fresh list each time');
});

t.test('a missing or invalid config default denies, naming the config path', async (t) => {
  const missing = resolveSettings(undefined, namespace(), snapshotFixture({ values: valuesWith('proxy.image', undefined) }));
  t.equal(missing.denial, 'config values.proxy.image: missing value: expected a string');
  t.equal(effectiveOf(missing.effective, 'proxyImage').value, undefined);
  const bad = resolveSettings(undefined, namespace(), snapshotFixture({ values: valuesWith('proxy.resources.requests.cpu', 'lots') }));
  t.equal(bad.denial, 'config values.proxy.resources.requests.cpu: invalid value "lots": expected a Kubernetes quantity such as 100m or 0.5');
  const wrongType = resolveSettings(undefined, namespace(), snapshotFixture({ values: valuesWith('proxy.nativeSidecar', 'yes please') }));
  t.match(wrongType.denial, /^config values\.proxy\.nativeSidecar: invalid value "yes please": expected "true", "false" or "auto"$/);
  const list = resolveSettings(undefined, namespace(), snapshotFixture({ values: valuesWith('capture.excludeInboundPorts', [1, 99999]) }));
  t.match(list.denial, /^config values\.capture\.excludeInboundPorts: invalid value "\[1,99999\]": expected/);
  const noValues = resolveSettings(undefined, namespace(), snapshotFixture({ values: {} }));
  t.equal(noValues.denial?.split('; ').length, SETTINGS.filter((s) => s.fallback === undefined).length - 1, 'every values-backed setting without a fallback is named');
  const noTemplates = resolveSettings(undefined, namespace(), snapshotFixture({ defaultTemplates: ['gone'] }));
  t.match(noTemplates.denial, /^config defaultTemplates: invalid value "\[\\"gone\\"\]": expected .*no template "gone"/);
  t.same(noTemplates.templates, [], 'no templates when none resolve');
  // A pod value still overrides a broken default: the default is not consulted.
  const overridden = resolveSettings(pod({ 'sidecar-injector.io/proxy-image': 'envoy:1' }), namespace(), snapshotFixture({ values: valuesWith('proxy.image', undefined) }));
  t.equal(overridden.denial, undefined);
});

// [setting, native value, parsed, Istio value, parsed, invalid native value, invalid Istio value]
const ANNOTATION_CASES: Array<[string, string, unknown, string, unknown, string, string]> = [
  ['templates', 'extra,sidecar', ['extra', 'sidecar'], 'extra', ['extra'], 'sidecar,missing', 'nope'],
  ['proxyImage', 'registry.example.com/envoy:v1.36.2', 'registry.example.com/envoy:v1.36.2', 'docker.io/istio/proxyv2:1.28.0', 'docker.io/istio/proxyv2:1.28.0', 'envoy proxy:latest', 'upper/CASE'],
  ['proxyCPU', '250m', '250m', '300m', '300m', 'lots', '-1'],
  ['proxyMemory', '256Mi', '256Mi', '200Mi', '200Mi', '1XB', '12 Mi'],
  ['proxyCPULimit', '1', '1', '1500m', '1500m', '-', '1e'],
  ['proxyMemoryLimit', '1Gi', '1Gi', '2Gi', '2Gi', '12 Mi', '1XB'],
  ['logLevel', 'debug', 'debug', 'info', 'info', 'verbose', 'INFO'],
  ['interceptionMode', 'TPROXY', 'TPROXY', 'NONE', 'NONE', 'redirect', 'BOGUS'],
  ['includeInboundPorts', '8080,9090', [8080, 9090], '*', '*', '80,http', ' * '],
  ['excludeInboundPorts', '9091', [9091], '0, 8081', [0, 8081], '70000', '99999'],
  ['excludeOutboundPorts', '5432,6379', [5432, 6379], '3306', [3306], '0', '80,,90'],
  ['includeOutboundIPRanges', '10.0.0.0/8,fd00::/8', ['10.0.0.0/8', 'fd00::/8'], '*', '*', '10.0.0.0/33', '300.0.0.0/8'],
  ['excludeOutboundIPRanges', '10.96.0.1/32', ['10.96.0.1/32'], '169.254.169.254/32', ['169.254.169.254/32'], 'not-a-cidr', '10.0.0.0/8, 10.1.0.0/16'],
  ['nativeSidecar', 'true', true, 'True', true, 'yes', 'maybe'],
  ['holdApplicationUntilProxyStarts', 'true', true, '{holdApplicationUntilProxyStarts: true}', true, '1x', '[not, a, mapping]'],
  ['rewriteProbes', 'true', true, 'f', false, 'on', 'maybe'],
];

function keysOf(name: string): { native: string; istio: string } {
  const spec = SETTINGS.find((s) => s.name === name)!;
  return { native: spec.key, istio: spec.istio.key! };
}

t.test('every annotation: valid values, native and Istio, at pod and namespace level', async (t) => {
  for (const [name, nativeRaw, nativeValue, istioRaw, istioValue] of ANNOTATION_CASES) {
    const { native, istio } = keysOf(name);
    for (const level of ['pod', 'namespace'] as const) {
      for (const [key, raw, want] of [[native, nativeRaw, nativeValue], [istio, istioRaw, istioValue]] as const) {
        const r = level === 'pod'
          ? resolveSettings(pod({ [key]: raw }), namespace(), snapshot)
          : resolveSettings(pod(), namespace({ [key]: raw }), snapshot);
        t.equal(r.denial, undefined, `${level} ${key}=${raw} accepted`);
        t.same(effectiveOf(r.effective, name), { name, annotation: SETTINGS.find((s) => s.name === name)!.annotation, value: want, source: level, key });
        t.same(r.settings[name], want);
      }
    }
  }
});

t.test('every annotation: invalid values deny with the key, the value and what is accepted', async (t) => {
  for (const [name, , , , , nativeBad, istioBad] of ANNOTATION_CASES) {
    const { native, istio } = keysOf(name);
    for (const [key, raw] of [[native, nativeBad], [istio, istioBad]]) {
      const r = resolveSettings(pod({ [key]: raw }), namespace(), snapshot);
      t.match(r.denial, new RegExp(`^annotation ${key.replace(/\./g, '\\.')}: invalid value ${JSON.stringify(raw).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: expected .+`), `${key}=${raw}`);
      t.equal(effectiveOf(r.effective, name).source, 'config', 'the invalid value is treated as absent');
      const ns = resolveSettings(pod(), namespace({ [key]: raw }), snapshot);
      t.match(ns.denial, new RegExp(`^namespace annotation ${key.replace(/\./g, '\\.')}: invalid value `), `namespace ${key}=${raw}`);
    }
  }
});

t.test('exact denial messages', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ 'sidecar-injector.io/proxy-cpu': 'lots' }, 'annotation sidecar-injector.io/proxy-cpu: invalid value "lots": expected a Kubernetes quantity such as 100m or 0.5'],
    [{ 'sidecar-injector.io/proxy-memory': '-1Gi' }, 'annotation sidecar-injector.io/proxy-memory: invalid value "-1Gi": expected a non-negative Kubernetes quantity such as 128Mi or 1Gi'],
    [{ 'sidecar-injector.io/log-level': 'verbose' }, 'annotation sidecar-injector.io/log-level: invalid value "verbose": expected one of trace, debug, info, warning, error, critical, off'],
    [{ 'sidecar-injector.io/native-sidecar': 'yes' }, 'annotation sidecar-injector.io/native-sidecar: invalid value "yes": expected "true", "false" or "auto"'],
    [{ 'sidecar-injector.io/templates': 'sidecar,missing' }, 'annotation sidecar-injector.io/templates: invalid value "sidecar,missing": expected comma-separated template names from: sidecar, extra (no template "missing")'],
    [{ 'sidecar-injector.io/exclude-inbound-ports': '70000' }, 'annotation sidecar-injector.io/exclude-inbound-ports: invalid value "70000": expected comma-separated ports 1-65535 such as 8080,9090 ("70000" is out of range)'],
    [{ 'traffic.sidecar.istio.io/includeOutboundIPRanges': '300.0.0.0/8' }, 'annotation traffic.sidecar.istio.io/includeOutboundIPRanges: invalid value "300.0.0.0/8": expected "*" or comma-separated CIDRs such as 10.0.0.0/8,fd00::/8 ("300.0.0.0/8": IPv4 field has value >255)'],
  ];
  for (const [annotations, message] of cases) t.equal(resolveSettings(pod(annotations), namespace(), snapshot).denial, message);
});

t.test('one denial lists every invalid annotation, pod first, catalog order', async (t) => {
  const r = resolveSettings(
    pod({ 'sidecar-injector.io/log-level': 'loud', 'sidecar-injector.io/proxy-cpu': 'lots', 'sidecar.istio.io/proxyCPU': 'more' }),
    namespace({ 'sidecar-injector.io/proxy-cpu': 'x' }), snapshot,
  );
  t.same(r.denial?.split('; ').map((m) => m.split(': invalid')[0]), [
    'annotation sidecar-injector.io/proxy-cpu', 'annotation sidecar.istio.io/proxyCPU', 'namespace annotation sidecar-injector.io/proxy-cpu',
    'annotation sidecar-injector.io/log-level',
  ]);
});

t.test('precedence: pod > namespace > config; native > Istio at the same level', async (t) => {
  const cpu = (p: Record<string, string>, n: Record<string, string>, s = snapshot) => effectiveOf(resolveSettings(pod(p), namespace(n), s).effective, 'proxyCPU');
  t.same(cpu({ 'sidecar-injector.io/proxy-cpu': '500m' }, { 'sidecar-injector.io/proxy-cpu': '300m' }), { name: 'proxyCPU', annotation: 'proxy-cpu', value: '500m', source: 'pod', key: 'sidecar-injector.io/proxy-cpu' });
  t.same(cpu({}, { 'sidecar-injector.io/proxy-cpu': '300m' }), { name: 'proxyCPU', annotation: 'proxy-cpu', value: '300m', source: 'namespace', key: 'sidecar-injector.io/proxy-cpu' });
  t.equal(cpu({ 'sidecar-injector.io/proxy-cpu': '400m', 'sidecar.istio.io/proxyCPU': '100m' }, {}).value, '400m', 'native wins over its twin');
  t.equal(cpu({}, { 'sidecar-injector.io/proxy-cpu': '400m', 'sidecar.istio.io/proxyCPU': '100m' }).key, 'sidecar-injector.io/proxy-cpu');
  t.same(cpu({ 'sidecar.istio.io/proxyCPU': '700m' }, { 'sidecar-injector.io/proxy-cpu': '300m' }).value, '700m', 'the pod level comes before the key family');
  t.equal(cpu({ 'sidecar.istio.io/proxyCPU': '700m' }, {}, noCompat).source, 'config', 'Istio key unused with compat off');

  const r = resolveSettings(
    pod({ 'sidecar-injector.io/proxy-cpu': '500m' }),
    namespace({ 'sidecar-injector.io/proxy-cpu': '300m', 'sidecar-injector.io/log-level': 'debug', 'sidecar-injector.io/exclude-outbound-ports': '5432' }),
    snapshot,
  );
  t.same(r.effective.filter((e) => e.source !== 'config').map((e) => [e.name, e.value, e.source]), [
    ['proxyCPU', '500m', 'pod'], ['logLevel', 'debug', 'namespace'], ['excludeOutboundPorts', [5432], 'namespace'],
  ]);
  t.equal(r.settings.csv && (r.settings.csv as Record<string, string>).excludeOutboundPorts, '5432');
});

t.test('a value hidden by a higher-precedence one is still validated', async (t) => {
  const twin = resolveSettings(pod({ 'sidecar-injector.io/proxy-cpu': '400m', 'sidecar.istio.io/proxyCPU': 'lots' }), namespace(), snapshot);
  t.equal(twin.settings.proxyCPU, '400m');
  t.equal(twin.denial, 'annotation sidecar.istio.io/proxyCPU: invalid value "lots": expected a Kubernetes quantity such as 100m or 0.5');
  const ns = resolveSettings(pod({ 'sidecar-injector.io/log-level': 'info' }), namespace({ 'sidecar-injector.io/log-level': 'loud' }), snapshot);
  t.match(ns.denial, /^namespace annotation sidecar-injector\.io\/log-level: invalid value "loud"/);
});

t.test('compat off: Istio keys are neither read nor validated', async (t) => {
  const r = resolveSettings(pod({
    'sidecar.istio.io/proxyCPU': 'lots', 'inject.istio.io/templates': 'missing', 'proxy.istio.io/config': '[x]',
    'traffic.sidecar.istio.io/excludeInboundPorts': '8081',
  }), namespace({ 'sidecar.istio.io/logLevel': 'debug' }), noCompat);
  t.equal(r.denial, undefined);
  t.ok(r.effective.every((e) => e.source === 'config'));
  t.same(r.warnings, []);
});

t.test('proxy.istio.io/config', async (t) => {
  const hold = (p: Record<string, string>, n: Record<string, string> = {}) => resolveSettings(pod(p), namespace(n), snapshot);
  t.same(effectiveOf(hold({ 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true' }).effective, 'holdApplicationUntilProxyStarts'),
    { name: 'holdApplicationUntilProxyStarts', annotation: 'hold-application-until-proxy-starts', value: true, source: 'pod', key: 'proxy.istio.io/config' });
  const other = hold({ 'proxy.istio.io/config': '{concurrency: 2}' }, { 'sidecar-injector.io/hold-application-until-proxy-starts': 'true' });
  t.same([other.settings.holdApplicationUntilProxyStarts, effectiveOf(other.effective, 'holdApplicationUntilProxyStarts').source], [true, 'namespace'], 'a config without the field sets nothing');
  const native = hold({ 'proxy.istio.io/config': '{holdApplicationUntilProxyStarts: true}', 'sidecar-injector.io/hold-application-until-proxy-starts': 'false' });
  t.equal(native.settings.holdApplicationUntilProxyStarts, false, 'native wins');
  const ns = hold({}, { 'proxy.istio.io/config': '{holdApplicationUntilProxyStarts: true}' });
  t.equal(effectiveOf(ns.effective, 'holdApplicationUntilProxyStarts').source, 'namespace');
  const invalid = hold({ 'proxy.istio.io/config': '{holdApplicationUntilProxyStarts: "yes"}' });
  t.equal(invalid.denial, 'annotation proxy.istio.io/config: invalid value "{holdApplicationUntilProxyStarts: \\"yes\\"}": expected a ProxyConfig as a YAML or JSON mapping whose holdApplicationUntilProxyStarts, if set, is true or false (holdApplicationUntilProxyStarts is the string "yes")');
});

t.test('unknown keys under the prefix warn with the nearest known key', async (t) => {
  const r = resolveSettings(
    pod({ 'sidecar-injector.io/proxy-cpus': '200m', 'sidecar-injector.io/loglevel': 'debug', 'sidecar-injector.io/status': '{}', 'sidecar-injector.io/inject': 'true', 'other.io/proxy-cpus': 'x' }),
    namespace({ 'sidecar-injector.io/Native-Sidecar': 'true' }), snapshot,
  );
  t.same(r.warnings, [
    'unknown annotation sidecar-injector.io/proxy-cpus: did you mean sidecar-injector.io/proxy-cpu?',
    'unknown annotation sidecar-injector.io/loglevel: did you mean sidecar-injector.io/log-level?',
    'unknown namespace annotation sidecar-injector.io/Native-Sidecar: did you mean sidecar-injector.io/native-sidecar?',
  ]);
  t.equal(r.denial, undefined, 'unknown keys are allowed');
  t.ok(r.effective.every((e) => e.source === 'config'), 'a user-set status is ignored by resolution');

  const weird = resolveSettings(pod({ 'sidecar-injector.io/a\nb': '1', [`sidecar-injector.io/${'x'.repeat(5000)}`]: '1' }), namespace(), snapshot);
  t.equal(weird.warnings[0], 'unknown annotation "sidecar-injector.io/a\\nb": did you mean sidecar-injector.io/status?');
  t.ok(weird.warnings[1].length < 300, 'a huge key is shown cut');

  const many: Record<string, string> = {};
  for (let i = 0; i < 50; i++) many[`sidecar-injector.io/typo-${i}`] = 'x';
  const capped = resolveSettings(pod(many), namespace(), snapshot);
  t.equal(capped.warnings.length, 21);
  t.equal(capped.warnings[20], '30 more unknown annotations under sidecar-injector.io/ not listed');
});

const HOSTILE = [
  '"quoted"', "it's", 'a\nb', 'line\r\nbreak', '${settings.proxyImage}', '{"$eval": "values"}', '{$eval: values}',
  '\u0000', '\u202e', '<script>', 'x'.repeat(1 << 20), '8080\n- name: evil', '--- \nkind: Pod',
];

t.test('hostile values are denied, or kept as literal strings', async (t) => {
  for (const spec of SETTINGS) {
    for (const raw of HOSTILE) {
      for (const key of snapshot.compat.istio ? keysOfSetting(spec) : [spec.key]) {
        const r = resolveSettings(pod({ [key]: raw }), namespace(), snapshot);
        const chosen = effectiveOf(r.effective, spec.name);
        if (r.denial !== undefined) {
          t.ok(r.denial.includes(key), `${key} denied for ${JSON.stringify(raw.slice(0, 20))}`);
          t.ok(r.denial.length < 1000, 'the message stays short');
          t.notOk(/[\u0000-\u001f]/.test(r.denial), 'no raw control characters in the message');
          t.equal(chosen.source, 'config');
        } else {
          // A ProxyConfig mapping without holdApplicationUntilProxyStarts is valid and sets nothing.
          const setsNothing = key === 'proxy.istio.io/config' && chosen.source === 'config';
          t.ok(chosen.source === 'pod' || setsNothing, `${key} accepted ${JSON.stringify(raw.slice(0, 20))}`);
          if (typeof chosen.value === 'string') t.equal(chosen.value, raw, 'kept literally');
        }
      }
    }
  }
});

t.test('property: any annotation text resolves without throwing; strings stay literal', async (t) => {
  const keys = SETTINGS.flatMap(keysOfSetting);
  t.doesNotThrow(() => fc.assert(fc.property(fc.constantFrom(...keys), fc.string({ maxLength: 40 }), (key, raw) => {
    const r = resolveSettings(pod({ [key]: raw }), namespace({ [key]: raw }), snapshot);
    if (r.denial !== undefined) return r.denial.includes(key) && !/[\u0000-\u001f]/.test(r.denial);
    return r.effective.every((e) => typeof e.value !== 'string' || e.source === 'config' || e.value === raw);
  })));
});

t.test('inputs are not modified', async (t) => {
  const meta = pod({ 'sidecar-injector.io/proxy-cpu': '1', 'sidecar-injector.io/typo': 'x' }, { 'sidecar-injector.io/inject': 'true' });
  const ns = namespace({ 'sidecar-injector.io/log-level': 'debug' }, { 'sidecar-injection': 'enabled' });
  const before = JSON.stringify([meta, ns]);
  resolveSettings(meta, ns, snapshot);
  t.equal(JSON.stringify([meta, ns]), before);
});

t.test('native-sidecar auto and true against what the cluster is', async (t) => {
  const at = (kubernetesVersion: string | null, oldestKubeletVersion: string | null = null) => ({ kubernetesVersion, oldestKubeletVersion });
  const auto = pod({ 'sidecar-injector.io/native-sidecar': 'auto' });
  t.equal(resolveSettings(auto, namespace(), snapshot).settings.nativeSidecar, false, 'auto on an unknown cluster: off');
  t.equal(resolveSettings(auto, namespace(), snapshot, at('1.20')).settings.nativeSidecar, false, 'auto at 1.20: off');
  t.equal(resolveSettings(auto, namespace(), snapshot, at('1.32')).settings.nativeSidecar, false, 'auto at 1.32: off');
  t.equal(resolveSettings(auto, namespace(), snapshot, at('1.33')).settings.nativeSidecar, true, 'auto at 1.33: on');
  t.equal(resolveSettings(auto, namespace(), snapshot, at('1.34', '1.30')).settings.nativeSidecar, false, 'an old kubelet decides');
  t.equal(resolveSettings(auto, namespace(), snapshot, at('1.33', '1.33')).settings.nativeSidecar, true);
  const on = pod({ 'sidecar-injector.io/native-sidecar': 'true' });
  t.equal(resolveSettings(on, namespace(), snapshot).denial, undefined, 'true on an unknown cluster is taken at its word');
  t.equal(resolveSettings(on, namespace(), snapshot, at('1.28')).settings.nativeSidecar, true);
  const refused = resolveSettings(on, namespace(), snapshot, at('1.20'));
  t.match(refused.denial, /^annotation sidecar-injector\.io\/native-sidecar: "true" cannot be honoured: native sidecars need Kubernetes 1\.28 or later and the cluster is 1\.20/);
  t.match(resolveSettings(on, namespace(), snapshot, at('1.30', '1.27')).denial, /the oldest node's kubelet is 1\.27/);
  const config = snapshotFixture({ values: valuesWith('proxy.nativeSidecar', true) });
  t.match(resolveSettings(undefined, namespace(), config, at('1.25')).denial, /^config values\.proxy\.nativeSidecar: "true" cannot be honoured/);
  const istio = resolveSettings(pod({ 'sidecar.istio.io/nativeSidecar': 'true' }), namespace(), snapshot, at('1.20'));
  t.match(istio.denial, /^annotation sidecar\.istio\.io\/nativeSidecar: "true" cannot be honoured/);
});
