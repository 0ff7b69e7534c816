// Fuzzing the engine directly (evaluatePod): the pods of the captured reviews with one
// field broken (as JSON.parse gives it: `__proto__` and friends are own keys), hostile
// namespace views, several configurations. evaluatePod must never throw, never write to
// its inputs, and return a well-formed outcome whose patch applies and equals the
// injected object; injecting the result again changes nothing.
// (test/injection/engine.property.test.ts checks the same patch properties on well-formed
// generated pods; this file feeds it broken ones.)
import t from 'tap';
import fc from 'fast-check';
import fjp from 'fast-json-patch';
import { applyOutcome, evaluatePod, type InjectionOutcome } from '../../src/injection/engine.js';
import { REASONS, type NamespaceView, type Pod, type RequestInfo, type Snapshot } from '../../src/injection/types.js';
import { snapshotWith } from '../support/config.js';
import { FILE_TIMEOUT_MS, fuzzTarget, LONG_MODE, recordFigures } from './support/budget.js';
import { capturedReviews } from './support/fixtures.js';
import { assertHeapBounded, assertPrototypesUntouched, MemoryWatch, prototypeFingerprint } from './support/guards.js';
import { hostileKey, hostileString } from './support/hostile.js';
import { deepFreeze, sameJson } from './support/json.js';
import { NAMESPACE_LABEL_KEYS, POD_ANNOTATION_KEYS, POD_LABEL_KEYS } from './support/known-keys.js';
import { describeMutation, mutateToText, mutation, nodePaths, SWEEP_MUTATIONS, type Mutation, type Path } from './support/mutate.js';
import { relocates } from './support/oracle.js';

t.setTimeout(FILE_TIMEOUT_MS);
const prototypesBefore = prototypeFingerprint();

const snapshots: ReadonlyArray<[string, Snapshot]> = [
  ['built-in', snapshotWith()],
  ['built-in + extra template', snapshotWith({}, ['extra'])],
  ['compat.istio off', snapshotWith({ compat: { istio: false } })],
  ['policy disabled', snapshotWith({ policy: 'disabled' })],
];
const pods = capturedReviews().filter((r) => r.podCreate).map((r) => ({ file: r.file, pod: r.review.request.object as Pod }));
const podPaths = new Map(pods.map((p) => [p.file, nodePaths(p.pod)]));
const memoryWatch = new MemoryWatch();

interface EngineCase {
  file: string;
  pod: Pod;
  path: Path;
  mutation: Mutation;
  podText: string;
}

/**
 * The captured pod with one path mutated, parsed back from JSON text. The root stays a
 * mapping: evaluatePod's callers (admit, the CLI) refuse anything else before calling it.
 */
function podCase(file: string, pod: Pod, path: Path, m: Mutation): EngineCase {
  let podText = mutateToText(pod, path, m);
  if (!podText.startsWith('{')) podText = '{}';
  return { file, pod: JSON.parse(podText), path, mutation: m, podText };
}

const namespaceView: fc.Arbitrary<NamespaceView> = fc.record({
  name: fc.oneof(fc.constantFrom('shop', 'default', 'kube-system', 'sidecar-injector'), hostileString()),
  labels: fc.oneof(
    fc.constant({ 'sidecar-injection': 'enabled' }),
    fc.dictionary(fc.oneof(fc.constantFrom(...NAMESPACE_LABEL_KEYS), hostileKey()), fc.oneof(fc.constantFrom('enabled', 'disabled'), hostileString()), { maxKeys: 3 }),
  ),
  annotations: fc.dictionary(hostileKey(POD_ANNOTATION_KEYS), hostileString(), { maxKeys: 4 }),
}).map((ns) => ({ ...ns, labels: Object.fromEntries(Object.entries(ns.labels)), annotations: Object.fromEntries(Object.entries(ns.annotations)) }));

const requestInfo: fc.Arbitrary<RequestInfo> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'Pod', operation: 'CREATE' }), weight: 8 },
  { arbitrary: fc.record({ kind: fc.constantFrom('Pod', 'Deployment', ''), operation: fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT', '') }), weight: 1 },
);

/** Labels or annotations the injector reads, with hostile values, added to the pod (when its metadata is a mapping). */
const podKeys = fc.record({
  labels: fc.dictionary(fc.oneof(fc.constantFrom(...POD_LABEL_KEYS), hostileKey()), hostileString(), { maxKeys: 2 }),
  annotations: fc.dictionary(hostileKey(POD_ANNOTATION_KEYS), hostileString(), { maxKeys: 3 }),
});

/** A plain copy of a generated map (fast-check may give null-prototype objects); `__proto__` stays an own key. */
function plain(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map));
}

/** The pod with `keys` added to its labels and annotations (spread, not assignment: `__proto__` stays a key). */
function withKeys(pod: Pod, keys: { labels: Record<string, string>; annotations: Record<string, string> }): Pod {
  const meta = pod.metadata ?? {};
  return { ...pod, metadata: { ...meta, labels: { ...meta.labels, ...plain(keys.labels) }, annotations: { ...meta.annotations, ...plain(keys.annotations) } } };
}

/** A captured pod with hostile keys added, then one of its paths mutated. */
const engineCase = fc.tuple(fc.constantFrom(...pods), podKeys).chain(([p, keys]) => {
  const keyed = withKeys(p.pod, keys);
  return fc.tuple(fc.constantFrom(...nodePaths(keyed)), mutation()).map(([path, m]) => podCase(p.file, keyed, path, m));
});

/** The problems with one outcome; the pod was frozen, so a write to it has already thrown. */
function outcomeProblems(c: EngineCase, outcome: InjectionOutcome, request: RequestInfo): string[] {
  const problems: string[] = [];
  if (!(REASONS as readonly string[]).includes(outcome.decision.reason)) problems.push(`unknown reason ${outcome.decision.reason}`);
  if (typeof outcome.decision.inject !== 'boolean') problems.push('decision.inject is not a boolean');
  if (!outcome.warnings.every((w) => typeof w === 'string' && w.length < 4096)) problems.push('a warning that is not a short string');
  if (request.kind !== 'Pod' || request.operation !== 'CREATE') {
    if (outcome.decision.reason !== 'not-a-pod-create' || outcome.patch.length > 0) problems.push('a non-create was not skipped untouched');
  }
  if (outcome.denial !== undefined) {
    if (typeof outcome.denial !== 'string' || outcome.denial === '') problems.push('an empty denial');
    if (outcome.patch.length > 0) problems.push('a denial with a patch');
    return problems;
  }
  if (!outcome.decision.inject) {
    if (outcome.patch.length > 0 || outcome.plan) problems.push('a skip with a patch');
    return problems;
  }
  if (outcome.patch.length === 0) problems.push('an injection without a patch');
  const merges = outcome.plan ? Object.values(outcome.plan.merged).flat().length : 0;
  const sentPod = JSON.parse(c.podText) as unknown;
  if (!outcome.patch.every((op) => op.op === 'add' || (op.op === 'replace' && merges > 0) || relocates(op.path, outcome.patch, sentPod))) {
    problems.push('an operation other than add (replace only where a merge changed a value, remove only for a move to initContainers)');
  }
  // The patch applies to a fresh copy of what the client sent, and gives what applyOutcome gives.
  const target = JSON.parse(c.podText);
  try {
    fjp.applyPatch(target, fjp.deepClone(outcome.patch), true, true);
  } catch (err) {
    problems.push(`the patch does not apply: ${(err as Error).message.split('\n')[0]}`);
    return problems;
  }
  const injected = applyOutcome(c.pod, outcome);
  if (!sameJson(target, injected)) problems.push('the patched pod differs from applyOutcome');
  return problems;
}

function evaluateChecked(c: EngineCase, namespace: NamespaceView, snapshot: Snapshot, request: RequestInfo): string[] {
  deepFreeze(c.pod);
  deepFreeze(namespace);
  let outcome: InjectionOutcome;
  try {
    outcome = evaluatePod(c.pod, namespace, snapshot, request);
  } catch (err) {
    return [`evaluatePod threw ${(err as Error).name}: ${(err as Error).message.split('\n')[0]}`];
  }
  const problems = outcomeProblems(c, outcome, request);
  if (problems.length === 0 && outcome.plan) {
    // Injecting the injected pod again: already injected, nothing added.
    const again = evaluatePod(applyOutcome(c.pod, outcome), namespace, snapshot, request);
    if (again.patch.length > 0 || again.decision.reason !== 'already-injected') problems.push(`a second pass gave ${again.decision.reason} with ${again.patch.length} operations`);
  }
  return problems;
}

function describeCase(c: EngineCase, snapshotName: string, namespace: NamespaceView, request: RequestInfo): string {
  return `${c.file} pod at /${c.path.join('/')}: ${describeMutation(c.mutation)}; config ${snapshotName}; namespace ${JSON.stringify(namespace).slice(0, 300)}; ${request.kind} ${request.operation}`;
}

t.test('fuzz: broken pods, hostile keys and namespaces, several configurations', async (t) => {
  t.pass(await fuzzTarget('engine', 300, (params) => {
    return fc.assert(fc.property(engineCase, fc.constantFrom(...snapshots), namespaceView, requestInfo, (c, [name, snapshot], namespace, request) => {
      const problems = evaluateChecked(c, namespace, snapshot, request);
      if (problems.length > 0) throw new Error(`${describeCase(c, name, namespace, request)}\n  ${problems.join('; ')}`);
    }), params);
  }));
  memoryWatch.warmedUp();
});

t.test('sweep: every field of each captured pod, each replaced by every kind of value', async (t) => {
  // npm test sweeps the fields of the Deployment's pod (init containers, probes, volumes) down
  // to each container, outside managedFields; the long mode every path of every pod.
  const swept = LONG_MODE ? pods : pods.filter((p) => p.file.startsWith('03-'));
  const namespace: NamespaceView = { name: 'shop', labels: { 'sidecar-injection': 'enabled' }, annotations: {} };
  const request = { kind: 'Pod', operation: 'CREATE' };
  const failures: string[] = [];
  let cases = 0;
  for (const p of swept) {
    for (const path of podPaths.get(p.file)!) {
      if (!LONG_MODE && (path.length > 3 || (path.includes('managedFields') && path[path.length - 1] !== 'managedFields'))) continue;
      for (const m of SWEEP_MUTATIONS) {
        const c = podCase(p.file, p.pod, path, m);
        const problems = evaluateChecked(c, { ...namespace }, snapshots[0][1], request);
        if (problems.length > 0) failures.push(`${describeCase(c, 'built-in', namespace, request)}\n  ${problems.join('; ')}`);
        cases++;
      }
    }
  }
  recordFigures('engine sweep', cases, failures.length);
  t.same(failures, [], `${cases} pods over ${swept.length} captured pod(s), every outcome well-formed`);
});

t.test('values that cannot be turned into text are named, not thrown on', async (t) => {
  const snapshot = snapshots[0][1];
  const namespace: NamespaceView = { name: 'shop', labels: { 'sidecar-injection': 'enabled' }, annotations: {} };
  const objectWithToString = JSON.parse('{"toString":"x"}');
  for (const [where, meta] of [
    ['inject annotation', { annotations: { 'sidecar-injector.io/inject': objectWithToString } }],
    ['istio inject label', { labels: { 'sidecar.istio.io/inject': [objectWithToString] } }],
    ['setting annotation', { annotations: { 'sidecar-injector.io/proxy-cpu': objectWithToString } }],
    ['inject annotation nested 100,000 deep', { annotations: { 'sidecar-injector.io/inject': JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) } }],
  ] as const) {
    const pod = { metadata: { name: 'p', ...meta }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } as unknown as Pod;
    let outcome: InjectionOutcome | undefined;
    t.doesNotThrow(() => { outcome = evaluatePod(pod, namespace, snapshot, { kind: 'Pod', operation: 'CREATE' }); }, `${where}: no exception`);
    t.ok(outcome && (outcome.denial !== undefined || outcome.warnings.length > 0), `${where}: denied or warned about`);
  }
});

t.test('after the run: prototypes untouched, heap bounded', async (t) => {
  assertPrototypesUntouched(t, prototypesBefore);
  assertHeapBounded(t, memoryWatch, 'test/fuzz/engine.test.ts');
});
