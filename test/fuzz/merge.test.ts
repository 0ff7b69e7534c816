// Merge by name, fuzzed: pods that declare the injector's own containers and volumes
// (overrides), and app containers a template renders into, with hostile names, keys and
// values. Every outcome is a denial or a patch of `add`/`replace` operations (and the `remove` of
// a container declaration that moves: relocated overrides, native sidecars) that applies to
// the pod as sent, equals the injected pod, keeps every value the pod declared as it was
// (data, never evaluated), and re-injection changes nothing.
import t from 'tap';
import fc from 'fast-check';
import fjp from 'fast-json-patch';
import { applyOutcome, evaluatePod } from '../../src/injection/engine.js';
import type { Container, NamespaceView, Pod } from '../../src/injection/types.js';
import { snapshotWith } from '../support/config.js';
import { FILE_TIMEOUT_MS, fuzzTarget } from './support/budget.js';
import { assertPrototypesUntouched, prototypeFingerprint } from './support/guards.js';
import { hostileKey, hostileString } from './support/hostile.js';
import { deepFreeze, sameJson } from './support/json.js';
import { relocates } from './support/oracle.js';

t.setTimeout(FILE_TIMEOUT_MS);
const prototypesBefore = prototypeFingerprint();
const snapshot = snapshotWith({}, ['app-env']);
const namespace: NamespaceView = { name: 'shop', labels: { 'sidecar-injection': 'enabled' }, annotations: {} };
const request = { kind: 'Pod', operation: 'CREATE' };

const value = fc.oneof(hostileString(), fc.integer(), fc.boolean(), fc.constant(null));
/** A mapping with hostile keys (`__proto__`, `a/b`, `~0`, ...) as JSON.parse gives them: own keys. */
const hostileMap = fc.dictionary(hostileKey(), value, { maxKeys: 3 }).map((m) => JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(m)))));
const env = fc.array(fc.record({ name: fc.oneof(fc.constantFrom('POD_NAME', 'MESH_CLUSTER', 'MESH_OWNER', 'EXTRA'), hostileString()), value: hostileString() }), { maxLength: 3 });
const containerFields = fc.record({
  image: fc.oneof(fc.constant('auto'), fc.constant('app:1'), hostileString()),
  args: fc.array(hostileString(), { maxLength: 3 }),
  env,
  resources: fc.record({ limits: fc.record({ memory: fc.oneof(fc.constant('2Gi'), hostileString()) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
  securityContext: hostileMap,
  volumeMounts: fc.array(fc.record({ name: fc.constantFrom('envoy-tmp', 'data'), mountPath: fc.constantFrom('/tmp', '/data', '/var/run/secrets/tokens') }), { maxLength: 2 }),
  extra: hostileMap,
}, { requiredKeys: [] });
const named = (names: string[]) => fc.tuple(fc.constantFrom(...names), containerFields).map(([name, fields]) => ({ name, ...fields }) as Container);
const podArb = fc.record({
  containers: fc.uniqueArray(named(['app', 'envoy', 'worker', 'proxy-init']), { minLength: 1, maxLength: 3, selector: (c) => c.name }),
  initContainers: fc.uniqueArray(named(['migrate', 'proxy-init', 'envoy']), { maxLength: 2, selector: (c) => c.name }),
  volumes: fc.uniqueArray(fc.record({ name: fc.constantFrom('envoy-tmp', 'proxy-token', 'data'), emptyDir: fc.oneof(fc.constant({}), hostileMap) }), { maxLength: 2, selector: (v) => v.name }),
  annotations: fc.record({
    'sidecar-injector.io/templates': fc.constantFrom('sidecar', 'sidecar,app-env'),
    'sidecar-injector.io/native-sidecar': fc.constantFrom('true', 'false'),
    'sidecar-injector.io/init-first': fc.constantFrom('true', 'false'),
  }, { requiredKeys: [] }),
  serviceAccountName: fc.constantFrom('', 'web'),
}).map(({ containers, initContainers, volumes, annotations, serviceAccountName }): Pod => ({
  metadata: { name: 'fuzz', annotations },
  spec: { serviceAccountName, containers, ...(initContainers.length ? { initContainers } : {}), ...(volumes.length ? { volumes } : {}) },
}));

/**
 * Whether every value of `mine` is in `now` as declared: mappings may gain keys, keyed lists
 * entries (an override's take the template's order, merge.ts).
 */
function kept(mine: unknown, now: unknown, keyedList: boolean): boolean {
  if (Array.isArray(mine) && keyedList) return Array.isArray(now) && mine.every((item) => now.some((n) => sameJson(item, n)));
  if (typeof mine === 'object' && mine !== null && !Array.isArray(mine)) {
    if (typeof now !== 'object' || now === null || Array.isArray(now)) return false;
    return Object.keys(mine).every((k) => Object.hasOwn(now, k) && kept((mine as Record<string, unknown>)[k], (now as Record<string, unknown>)[k], false));
  }
  return sameJson(mine, now);
}

/** Every value the pod declared is still in the injected pod's entry of the same name (image auto aside). */
function keptAsDeclared(pod: Pod, injected: Pod): string | undefined {
  for (const list of ['containers', 'initContainers'] as const) {
    for (const mine of pod.spec![list] ?? []) {
      // A container declaration of a native sidecar moves to initContainers (as Istio).
      const now = injected.spec![list]!.find((c) => c.name === mine.name)
        ?? (list === 'containers' ? injected.spec!.initContainers?.find((c) => c.name === mine.name && c.restartPolicy === 'Always') : undefined);
      if (!now) return `${list} ${mine.name} is gone`;
      for (const key of Object.keys(mine)) {
        if (key === 'image' && mine.image === 'auto') continue;
        if (!kept(mine[key], now[key], key === 'env' || key === 'volumeMounts')) return `${mine.name}.${key}: a value the pod declared changed`;
      }
    }
  }
  return undefined;
}

t.test('fuzz: overrides and app containers merged by name', async (t) => {
  t.pass(await fuzzTarget('merge', 300, (params) => {
    fc.assert(fc.property(podArb, (pod) => {
      const text = JSON.stringify(pod);
      const sent = deepFreeze(JSON.parse(text)) as Pod;
      const outcome = evaluatePod(sent, namespace, snapshot, request);
      if (outcome.denial !== undefined) {
        if (outcome.patch.length > 0) throw new Error('a denial with a patch');
        if (!/cannot inject: the (pod declares|pod's volume|templates render)/.test(outcome.denial)) throw new Error(`unexpected denial: ${outcome.denial}`);
        return;
      }
      if (!outcome.patch.every((op) => op.op === 'add' || op.op === 'replace' || relocates(op.path, outcome.patch, sent))) {
        throw new Error('an operation other than add, replace, or the removal of a container declaration that moves');
      }
      const target = JSON.parse(text);
      fjp.applyPatch(target, fjp.deepClone(outcome.patch), true, true);
      const injected = applyOutcome(sent, outcome);
      if (!sameJson(target, injected)) throw new Error('the patched pod differs from the injected one');
      const changed = keptAsDeclared(sent, injected);
      if (changed) throw new Error(changed);
      const again = evaluatePod(injected, namespace, snapshot, request);
      if (again.patch.length > 0 || again.decision.reason !== 'already-injected') throw new Error('re-injection is not a no-op');
    }), params);
  }));
});

t.test('after the run: prototypes untouched', async (t) => {
  assertPrototypesUntouched(t, prototypesBefore);
});
