// The settings catalog: names, keys, Istio twins and config paths are the contract
// (README.md, "Per-pod settings"), so they are spelled out here in full.
import t from 'tap';
import {
  INJECT_KEY, isKnownAnnotation, ISTIO_INJECT_KEY, ISTIO_NAMESPACE_INJECTION_LABEL, KNOWN_ANNOTATIONS,
  NAMESPACE_INJECTION_LABEL, parseConfigValue, parseSettingValue, PROXY_CONFIG_KEY, SETTING_BY_NAME, SETTINGS,
} from '../../src/injection/settings-catalogue.js';

const CATALOG: Array<[string, string, string, string]> = [
  ['templates', 'templates', 'inject.istio.io/templates', '(defaultTemplates)'],
  ['proxyImage', 'proxy-image', 'sidecar.istio.io/proxyImage', 'proxy.image'],
  ['proxyCPU', 'proxy-cpu', 'sidecar.istio.io/proxyCPU', 'proxy.resources.requests.cpu'],
  ['proxyMemory', 'proxy-memory', 'sidecar.istio.io/proxyMemory', 'proxy.resources.requests.memory'],
  ['proxyCPULimit', 'proxy-cpu-limit', 'sidecar.istio.io/proxyCPULimit', 'proxy.resources.limits.cpu'],
  ['proxyMemoryLimit', 'proxy-memory-limit', 'sidecar.istio.io/proxyMemoryLimit', 'proxy.resources.limits.memory'],
  ['logLevel', 'log-level', 'sidecar.istio.io/logLevel', 'proxy.logLevel'],
  ['interceptionMode', 'interception-mode', 'sidecar.istio.io/interceptionMode', 'capture.interceptionMode'],
  ['includeInboundPorts', 'include-inbound-ports', 'traffic.sidecar.istio.io/includeInboundPorts', 'capture.includeInboundPorts'],
  ['excludeInboundPorts', 'exclude-inbound-ports', 'traffic.sidecar.istio.io/excludeInboundPorts', 'capture.excludeInboundPorts'],
  ['excludeOutboundPorts', 'exclude-outbound-ports', 'traffic.sidecar.istio.io/excludeOutboundPorts', 'capture.excludeOutboundPorts'],
  ['includeOutboundIPRanges', 'include-outbound-ip-ranges', 'traffic.sidecar.istio.io/includeOutboundIPRanges', 'capture.includeOutboundIPRanges'],
  ['excludeOutboundIPRanges', 'exclude-outbound-ip-ranges', 'traffic.sidecar.istio.io/excludeOutboundIPRanges', 'capture.excludeOutboundIPRanges'],
  ['nativeSidecar', 'native-sidecar', 'sidecar.istio.io/nativeSidecar', 'proxy.nativeSidecar'],
  ['holdApplicationUntilProxyStarts', 'hold-application-until-proxy-starts', 'proxy.istio.io/config#holdApplicationUntilProxyStarts', 'proxy.holdApplicationUntilProxyStarts'],
  ['rewriteProbes', 'rewrite-probes', 'sidecar.istio.io/rewriteAppHTTPProbers', 'proxy.rewriteProbes'],
  ['initFirst', 'init-first', '(none)', 'capture.initFirst'],
];

t.test('the catalog, in order', async (t) => {
  const actual = SETTINGS.map((s) => [
    s.name, s.annotation,
    s.istio.kind === 'annotation' ? s.istio.key : s.istio.kind === 'none' ? '(none)' : `${s.istio.key}#${s.istio.field}`,
    s.valuesPath === null ? '(defaultTemplates)' : s.valuesPath.join('.'),
  ]);
  t.same(actual, CATALOG);
  for (const s of SETTINGS) t.equal(s.key, `sidecar-injector.io/${s.annotation}`, `${s.name} native key`);
  t.equal(SETTING_BY_NAME.get('proxyCPU')?.annotation, 'proxy-cpu');
  t.ok(Object.isFrozen(SETTINGS) && SETTINGS.every((s) => Object.isFrozen(s)), 'the catalog cannot be changed at run time');
});

t.test('other keys', async (t) => {
  t.equal(INJECT_KEY, 'sidecar-injector.io/inject');
  t.equal(ISTIO_INJECT_KEY, 'sidecar.istio.io/inject');
  t.equal(NAMESPACE_INJECTION_LABEL, 'sidecar-injection');
  t.equal(ISTIO_NAMESPACE_INJECTION_LABEL, 'istio-injection');
  t.equal(PROXY_CONFIG_KEY, 'proxy.istio.io/config');
  t.same([...KNOWN_ANNOTATIONS].sort(), [...CATALOG.map((c) => c[1]), 'inject', 'status'].sort());
  t.ok(isKnownAnnotation('status') && isKnownAnnotation('inject') && isKnownAnnotation('proxy-cpu'));
  t.notOk(isKnownAnnotation('proxy-cpus'));
  t.notOk(isKnownAnnotation('constructor'), 'no prototype names');
});

t.test('parseSettingValue: native and Istio rules', async (t) => {
  const templates = new Map([['sidecar', {}]]);
  // [name, value, native accepts?, istio accepts?]
  const cases: Array<[string, string, boolean, boolean]> = [
    ['templates', 'sidecar', true, true],
    ['templates', 'nope', false, false],
    ['proxyImage', 'envoy:v1', true, true],
    ['proxyImage', 'envoy v1', false, false],
    ['proxyCPU', '250m', true, true],
    ['proxyMemory', '1XB', false, false],
    ['logLevel', 'debug', true, true],
    ['interceptionMode', 'redirect', false, false],
    ['includeInboundPorts', '*', true, true],
    ['excludeInboundPorts', '0', false, true],
    ['excludeOutboundPorts', '65535', true, true],
    ['includeOutboundIPRanges', '10.0.0.0/8', true, true],
    ['excludeOutboundIPRanges', '*', false, false],
    ['nativeSidecar', 'True', false, true],
    ['nativeSidecar', 'true', true, true],
    ['rewriteProbes', '1', false, true],
    ['holdApplicationUntilProxyStarts', 'true', true, true],
  ];
  for (const [name, raw, native, istio] of cases) {
    t.equal(parseSettingValue(name, raw, { templates }).ok, native, `native ${name}=${raw}`);
    t.equal(parseSettingValue(name, raw, { templates, istio: true }).ok, istio, `istio ${name}=${raw}`);
  }
  t.same(parseSettingValue('excludeInboundPorts', '80, 90'), { ok: true, value: [80, 90] });
  t.notOk(parseSettingValue('templates', 'sidecar').ok, 'without templates, no name is known');
  t.throws(() => parseSettingValue('proxyCpu', '1'), /unknown setting "proxyCpu"/);
});

t.test('parseConfigValue: YAML shapes give the annotation shape', async (t) => {
  const templates = new Map([['sidecar', {}], ['extra', {}]]);
  const cases: Array<[string, unknown, unknown]> = [
    ['proxyCPU', '100m', '100m'],
    ['proxyCPU', 2, '2'],
    ['proxyMemory', 0.5, '0.5'],
    ['includeInboundPorts', '*', '*'],
    ['includeInboundPorts', 8080, [8080]],
    ['excludeInboundPorts', '', []],
    ['excludeInboundPorts', [15020, '15021'], [15020, 15021]],
    ['excludeOutboundIPRanges', ['10.0.0.0/8', 'fd00::/8'], ['10.0.0.0/8', 'fd00::/8']],
    ['excludeOutboundIPRanges', [], []],
    ['nativeSidecar', false, false],
    ['nativeSidecar', 'true', true],
    ['templates', ['sidecar', 'extra'], ['sidecar', 'extra']],
    ['logLevel', 'warning', 'warning'],
  ];
  for (const [name, raw, want] of cases) {
    const parsed = parseConfigValue(name, raw, templates);
    t.same(parsed, { ok: true, value: want }, `${name}: ${JSON.stringify(raw)}`);
  }
  const refused: Array<[string, unknown, RegExp]> = [
    ['proxyCPU', -1, /non-negative/],
    ['proxyCPU', Infinity, /^a Kubernetes quantity \(a string such as 100m or a number\) \(got a number\)$/],
    ['proxyCPU', true, /\(got a boolean\)$/],
    ['nativeSidecar', 'yes', /^"true", "false" or "auto"$/],
    ['nativeSidecar', 1, /^true, false or auto \(got a number\)$/],
    ['initFirst', 'auto', /^"true" or "false"$/],
    ['excludeInboundPorts', [80, { port: 1 }], /^ports as a comma-separated string or a list \(got a list\)$/],
    ['excludeOutboundIPRanges', { a: 1 }, /^CIDRs as a comma-separated string or a list \(got a mapping\)$/],
    ['excludeInboundPorts', [70000], /out of range/],
    ['templates', [], /^a non-empty list of template names \(got a list\)$/],
    ['templates', ['missing'], /no template "missing"/],
    ['logLevel', 3, /^a string \(got a number\)$/],
    ['proxyImage', null, /^a string \(got null\)$/],
  ];
  for (const [name, raw, why] of refused) {
    const parsed = parseConfigValue(name, raw, templates);
    t.notOk(parsed.ok, `${name}: ${JSON.stringify(raw)} refused`);
    if (!parsed.ok) t.match(parsed.expected, why);
  }
  t.throws(() => parseConfigValue('nope', 'x'), /unknown setting/);
});
