// Template and annotation safety: hostile values (quotes, newlines, YAML documents, JSON-e
// operators, ${...} and $(VAR) sequences, control characters, bidi, 1 MB values) on every
// key the injector reads (native and Istio; pod and namespace level) and on other keys and
// labels. The pod injected with a hostile value may differ from the pod injected with a
// benign value only where that key is allowed to change it (allowed-changes.ts), the value
// itself appears nowhere else, no new $(VAR) reaches a container's args, command or env
// (the kubelet would expand it), and a refused value is refused by a message naming the key.
import t from 'tap';
import fc from 'fast-check';
import fjp from 'fast-json-patch';
import { isDeepStrictEqual } from 'node:util';
import { applyOutcome, evaluatePod, type InjectionOutcome } from '../../src/injection/engine.js';
import { keysOfSetting, SETTINGS, type SettingName } from '../../src/injection/settings-catalogue.js';
import { PROXY_CONFIG_MAX_CHARS } from '../../src/injection/proxy-config-parse.js';
import type { Container, NamespaceView, Pod } from '../../src/injection/types.js';
import { snapshotWith } from '../support/config.js';
import { pointerTo, segmentsOf } from '../support/json-pointer.js';
import { changeAllowed, settingOf } from './support/allowed-changes.js';
import { FILE_TIMEOUT_MS, fuzzTarget, LONG_MODE, recordFigures } from './support/budget.js';
import { capturedReview } from './support/fixtures.js';
import { assertHeapBounded, assertPrototypesUntouched, MemoryWatch, prototypeFingerprint } from './support/guards.js';
import { HOSTILE_KEYS, HOSTILE_VALUES, hostileKey, hostileString, SMALL_HOSTILE_VALUES, type NamedValue } from './support/hostile.js';
import {
  INJECT_KEY, ISTIO_INJECT_KEY, NAMESPACE_LABEL_KEYS, POD_ANNOTATION_KEYS, POD_LABEL_KEYS, PROXY_CONFIG_KEY, SETTING_KEYS, STATUS_ANNOTATION,
} from './support/known-keys.js';

t.setTimeout(FILE_TIMEOUT_MS);
const prototypesBefore = prototypeFingerprint();
const snapshot = snapshotWith();
const request = { kind: 'Pod', operation: 'CREATE' };
// The Deployment's pod: init container, two containers, probes, volumes, and its own
// sidecar-injector.io/proxy-cpu annotation.
const basePod = capturedReview('03-').review.request.object as Pod;
const baseNamespace: NamespaceView = { name: 'shop', labels: { 'sidecar-injection': 'enabled' }, annotations: {} };
const memoryWatch = new MemoryWatch();

type Where = 'pod annotation' | 'namespace annotation' | 'pod label';
interface Target {
  key: string;
  where: Where;
}

const BENIGN: Record<SettingName, string> = {
  templates: 'sidecar', proxyImage: 'docker.io/envoyproxy/envoy:v1.36.2', proxyCPU: '100m', proxyMemory: '128Mi',
  proxyCPULimit: '2', proxyMemoryLimit: '1Gi', logLevel: 'warning', interceptionMode: 'REDIRECT', includeInboundPorts: '*',
  excludeInboundPorts: '', excludeOutboundPorts: '', includeOutboundIPRanges: '*', excludeOutboundIPRanges: '',
  nativeSidecar: 'false', holdApplicationUntilProxyStarts: 'false', rewriteProbes: 'false', initFirst: 'false',
};

function benignValue(target: Target): string {
  if (target.key === PROXY_CONFIG_KEY) return '{}';
  if (target.key === INJECT_KEY || target.key === ISTIO_INJECT_KEY) return 'true';
  const setting = settingOf(target.key);
  return setting ? BENIGN[setting] : 'benign';
}

/** The pod and namespace with `value` at the target key (spread, so `__proto__` stays a key). */
function place(target: Target, value: string): { pod: Pod; namespace: NamespaceView } {
  const meta = basePod.metadata!;
  if (target.where === 'namespace annotation') {
    return { pod: basePod, namespace: { ...baseNamespace, annotations: { ...baseNamespace.annotations, ...{ [target.key]: value } } } };
  }
  const field = target.where === 'pod label' ? 'labels' : 'annotations';
  return { pod: { ...basePod, metadata: { ...meta, [field]: { ...meta[field], ...Object.fromEntries([[target.key, value]]) } } }, namespace: baseNamespace };
}

const containersOf = (pod: Pod): Container[] => [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];

/** Every $(VAR) the kubelet would expand in the pod's containers: args, command, env values. */
function kubeletReferences(pod: Pod): string[] {
  const refs: string[] = [];
  for (const c of containersOf(pod)) {
    const texts = [...((c.args as string[] | undefined) ?? []), ...((c.command as string[] | undefined) ?? []),
      ...((c.env as Array<{ value?: string }> | undefined) ?? []).map((e) => e.value ?? '')];
    for (const text of texts) refs.push(...(String(text).match(/\$\([^)]*\)/g) ?? []));
  }
  return refs.sort();
}

function bootstrapOf(pod: Pod): Record<string, any> {
  const args = containersOf(pod).find((c) => c.name === 'envoy')!.args as string[];
  return JSON.parse(args[args.indexOf('--config-yaml') + 1]);
}

// Kubernetes label values: at most 63 characters, alphanumerics and -_. inside.
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const benignCache = new Map<string, Pod>();
function benignInjected(target: Target): Pod {
  const id = `${target.where}\u0000${target.key}`;
  let pod = benignCache.get(id);
  if (!pod) {
    const { pod: p, namespace } = place(target, benignValue(target));
    const outcome = evaluatePod(p, namespace, snapshot, request);
    if (!outcome.plan) throw new Error(`the benign value ${JSON.stringify(benignValue(target))} for ${target.where} ${target.key} was not injected: ${outcome.denial ?? outcome.decision.reason}`);
    pod = applyOutcome(p, outcome);
    benignCache.set(id, pod);
  }
  return pod;
}


/**
 * Whether `needle` occurs in a string (key or value) of `pod` outside the subtrees at
 * `skip` (JSON pointers). Strings holding JSON (the proxy's bootstrap) are searched for the
 * escaped form too. Walks without copying: the values may be megabytes long.
 */
function occursOutside(pod: Pod, needle: string, skip: readonly string[]): boolean {
  const escaped = JSON.stringify(needle).slice(1, -1);
  const skipped = new Set(skip);
  const stack: Array<[unknown, string]> = [[pod, '']];
  while (stack.length > 0) {
    const [v, pointer] = stack.pop()!;
    if (skipped.has(pointer)) continue;
    if (typeof v === 'string') {
      if (v.includes(needle) || v.includes(escaped)) return true;
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) {
        if (k.includes(needle)) return true;
        stack.push([child, pointer + pointerTo(k)]);
      }
    }
  }
  return false;
}

type Verdict = 'injected' | 'denied' | 'skipped';

/** What became of the pod with one hostile value at one key, and the violations (none when it is handled safely). */
function check(target: Target, value: string): { verdict: Verdict; problems: string[] } {
  const { pod, namespace } = place(target, value);
  let outcome;
  try {
    outcome = evaluatePod(pod, namespace, snapshot, request);
  } catch (err) {
    return { verdict: 'denied', problems: [`evaluatePod threw: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (outcome.denial !== undefined) {
    const naming = target.where === 'namespace annotation' ? `namespace annotation ${target.key}` : target.key;
    const problems: string[] = [];
    if (!outcome.denial.includes(naming)) problems.push(`denied without naming ${naming}: ${outcome.denial.slice(0, 200)}`);
    if (outcome.denial.length > 2000) problems.push(`a denial of ${outcome.denial.length} characters`);
    return { verdict: 'denied', problems };
  }
  if (!outcome.plan) {
    const reason = outcome.decision.reason;
    const expected = (target.key === STATUS_ANNOTATION && target.where === 'pod annotation' && reason === 'already-injected')
      || ((target.key === INJECT_KEY || target.key === ISTIO_INJECT_KEY) && target.where !== 'namespace annotation' && reason === 'pod-opted-out');
    return { verdict: 'skipped', problems: expected ? [] : [`not injected (${reason}) and not denied`] };
  }
  return { verdict: 'injected', problems: injectedProblems(target, value, pod, outcome) };
}

function injectedProblems(target: Target, value: string, pod: Pod, outcome: InjectionOutcome): string[] {
  if (outcome.warnings.some((w) => w.length > 2000)) return ['a warning longer than 2000 characters'];
  const hostile = applyOutcome(pod, outcome);
  const benign = benignInjected(target);
  const changes = fjp.compare(benign, hostile);
  const problems = changes.filter((op) => !changeAllowed(target.key, target.where, op.path, hostile, benign))
    .map((op) => `changed ${op.path} (${op.op})`);

  if (target.where === 'pod label') {
    const [h, b] = [bootstrapOf(hostile), bootstrapOf(benign)];
    if (!isDeepStrictEqual(h.node.metadata.LABELS, { ...hostile.metadata!.labels })) problems.push('the bootstrap LABELS are not the pod\'s labels');
    delete h.node.metadata.LABELS;
    delete b.node.metadata.LABELS;
    if (!isDeepStrictEqual(h, b)) problems.push('the bootstrap differs beyond its LABELS');
    // Only values the apiserver accepts as labels matter: it validates the pod after the webhooks.
    if (LABEL_VALUE.test(value) && value.length <= 63 && !isDeepStrictEqual(kubeletReferences(hostile), kubeletReferences(benign))) {
      problems.push('a new $(VAR) reference in a container');
    }
    return problems;
  }
  if (!isDeepStrictEqual(kubeletReferences(hostile), kubeletReferences(benign))) problems.push(`a new $(VAR) reference in a container: ${kubeletReferences(hostile).join(' ')}`);

  // The value itself, outside the pod's own annotation and the fields the key sets, appears nowhere.
  if (value.length >= 4) {
    const own = target.where === 'pod annotation' ? [pointerTo('metadata', 'annotations', target.key)] : [];
    if (occursOutside(hostile, value, [...own, ...changes.map((op) => op.path)]) && !occursOutside(benign, value, [])) {
      problems.push('the value appears in a field the key does not set');
    }
  }
  return problems;
}

const UNKNOWN_PREFIX_KEYS = ['sidecar-injector.io/proxy-imag', 'sidecar-injector.io/anything', 'SIDECAR-INJECTOR.IO/proxy-image'];
const OTHER_ANNOTATION_KEYS = ['example.com/note', 'prometheus.io/scrape', 'kubectl.kubernetes.io/default-container', '__proto__', 'constructor', 'toString', 'a/b~c'];
const OTHER_LABEL_KEYS = ['app', 'example.com/team', '__proto__', 'toString'];
const TARGETS: readonly Target[] = [
  ...[...POD_ANNOTATION_KEYS, ...UNKNOWN_PREFIX_KEYS, ...OTHER_ANNOTATION_KEYS].map((key): Target => ({ key, where: 'pod annotation' })),
  ...[...SETTING_KEYS, ...UNKNOWN_PREFIX_KEYS, 'example.com/note', '__proto__'].map((key): Target => ({ key, where: 'namespace annotation' })),
  ...[...POD_LABEL_KEYS, ...OTHER_LABEL_KEYS].map((key): Target => ({ key, where: 'pod label' })),
];

const randomTarget: fc.Arbitrary<Target> = fc.oneof(
  { arbitrary: fc.constantFrom(...TARGETS), weight: 3 },
  { arbitrary: fc.record({ key: hostileKey([...HOSTILE_KEYS]), where: fc.constantFrom<Where>('pod annotation', 'namespace annotation', 'pod label') }), weight: 1 },
);

t.test('fuzz: generated values on known, hostile and generated keys', async (t) => {
  t.pass(await fuzzTarget('annotation safety', 200, (params) => {
    return fc.assert(fc.property(randomTarget, hostileString({ huge: true }), (target, value) => {
      const { problems } = check(target, value);
      if (problems.length > 0) throw new Error(`${target.where} ${JSON.stringify(target.key)} = ${JSON.stringify(value).slice(0, 200)}: ${problems.join('; ')}`);
    }), params);
  }));
  memoryWatch.warmedUp();
});

// npm test takes one of the megabyte values; the long mode all of them.
const CORPUS: readonly NamedValue[] = LONG_MODE ? HOSTILE_VALUES : [...SMALL_HOSTILE_VALUES, HOSTILE_VALUES.find((v) => v.name === '1 MB of x')!];

t.test('the corpus of hostile values on every key the injector reads, and on others', async (t) => {
  const failures: string[] = [];
  const counts = { injected: 0, denied: 0, skipped: 0 };
  for (const target of TARGETS) {
    for (const { name, value } of CORPUS) {
      const { verdict, problems } = check(target, value);
      counts[verdict]++;
      for (const problem of problems) {
        failures.push(`${target.where} ${target.key} = ${name}: ${problem}`);
      }
    }
  }
  recordFigures('annotation corpus', TARGETS.length * CORPUS.length, failures.length);
  t.same(failures, [], `${TARGETS.length} keys × ${CORPUS.length} values: ${counts.injected} injected with only the key's own field changed, ${counts.denied} denied naming the key, ${counts.skipped} skipped (status present, or an opt-out)`);
});

t.test('holdApplicationUntilProxyStarts: true renders (native key and ProxyConfig)', async (t) => {
  for (const [key, value] of [['sidecar-injector.io/hold-application-until-proxy-starts', 'true'], [PROXY_CONFIG_KEY, 'holdApplicationUntilProxyStarts: true']]) {
    const { pod, namespace } = place({ key, where: 'pod annotation' }, value);
    const outcome = evaluatePod(pod, namespace, snapshot, request);
    t.equal(outcome.denial, undefined, `${key}: ${value} is injected`);
  }
});

t.test('a ProxyConfig longer than the limit is refused before it is parsed, naming the key and the limit', async (t) => {
  for (const where of ['pod annotation', 'namespace annotation'] as const) {
    const { pod, namespace } = place({ key: PROXY_CONFIG_KEY, where }, `a: ${'x'.repeat(PROXY_CONFIG_MAX_CHARS)}`);
    const denial = evaluatePod(pod, namespace, snapshot, request).denial ?? '';
    t.match(denial, `${where === 'pod annotation' ? 'annotation' : 'namespace annotation'} ${PROXY_CONFIG_KEY}`, `${where}: names the key`);
    t.match(denial, `at most ${PROXY_CONFIG_MAX_CHARS} characters`, `${where}: names the limit`);
  }
});

t.test('no setting accepts a value that carries $(VAR), ${...}, a newline or a NUL into the pod', async (t) => {
  // The settings that end up in args (log level, ports, CIDRs) are validated, so none of
  // these can reach the kubelet's $(VAR) expansion or split an argument.
  const risky = HOSTILE_VALUES.filter((v) => /\$\(|\$\{|\n|\u0000/.test(v.value) && v.value.length < 4096);
  const accepted: string[] = [];
  for (const spec of SETTINGS) {
    for (const key of keysOfSetting(spec)) {
      for (const { name, value } of risky) {
        const { pod, namespace } = place({ key, where: 'pod annotation' }, value);
        const outcome = evaluatePod(pod, namespace, snapshot, request);
        // proxy.istio.io/config is a YAML document: a valid one sets only holdApplicationUntilProxyStarts.
        if (!outcome.denial && key !== PROXY_CONFIG_KEY) accepted.push(`${key} = ${name}`);
      }
    }
  }
  t.same(accepted, [], `${risky.length} risky values × ${SETTINGS.length * 2} keys: all refused`);
});

t.test('namespace labels with hostile values are ignored: the pod is not injected', async (t) => {
  const wrong: string[] = [];
  for (const key of NAMESPACE_LABEL_KEYS) {
    for (const { name, value } of HOSTILE_VALUES) {
      const outcome = evaluatePod(basePod, { name: 'shop', labels: { ...{ [key]: value } }, annotations: {} }, snapshot, request);
      if (outcome.decision.reason !== 'not-opted-in' || outcome.patch.length > 0 || outcome.denial) wrong.push(`${key} = ${name}: ${outcome.decision.reason}`);
    }
  }
  t.same(wrong, [], `${NAMESPACE_LABEL_KEYS.length} labels × ${HOSTILE_VALUES.length} values: never injected, never denied`);
});

t.test('after the run: prototypes untouched, heap bounded', async (t) => {
  assertPrototypesUntouched(t, prototypesBefore);
  assertHeapBounded(t, memoryWatch, 'test/fuzz/annotation-safety.test.ts');
});
