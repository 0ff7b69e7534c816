// Golden tests of the engine, in the style of Linkerd's fake/data: each case's input lives
// in data/<case>.input.yaml (or a captured AdmissionReview), its expected result in
// data/<case>.golden.yaml. Regenerate with `npm run golden` and review the diff.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fjp from 'fast-json-patch';
import { parse, stringify } from 'yaml';
import { applyOutcome, evaluatePod } from '../../src/injection/engine.js';
import type { ClusterInfo } from '../../src/injection/native-sidecar.js';
import type { NamespaceView, Pod, RequestInfo } from '../../src/injection/types.js';
import { ROOT, snapshotWith } from '../support/config.js';
import { readCapturedReviews } from '../support/fixtures.js';

const DATA = join(ROOT, 'test', 'golden', 'data');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface Case {
  name: string;
  pod: Pod;
  namespace: NamespaceView;
  request: RequestInfo;
  config: Record<string, unknown>;
  templates: string[];
  /** What the cluster is taken to be (`cluster:` in the input); unknown when absent. */
  cluster?: ClusterInfo;
  /** Captured reviews are large: their golden holds the patch, not the whole object. */
  withObject: boolean;
}

function reviewCases(): Case[] {
  // The captures were made in namespace `shop`, labelled sidecar-injection=enabled.
  return readCapturedReviews().map(({ file, review }) => {
    const req = review.request;
    return {
      name: `review-${file.replace(/\.json$/, '')}`,
      pod: req.object,
      namespace: { name: req.namespace, labels: { 'sidecar-injection': 'enabled' }, annotations: {} },
      request: { kind: req.kind.kind, operation: req.operation },
      config: {}, templates: [], withObject: false,
    };
  });
}

function inputCases(): Case[] {
  return readdirSync(DATA).filter((f) => f.endsWith('.input.yaml')).sort().map((file) => {
    const input = parse(readFileSync(join(DATA, file), 'utf8'));
    return {
      name: file.replace(/\.input\.yaml$/, ''),
      pod: input.object,
      namespace: { name: 'shop', labels: {}, annotations: {}, ...input.namespace },
      request: { kind: 'Pod', operation: 'CREATE', ...input.request },
      config: input.config ?? {}, templates: input.templates ?? [], withObject: true,
      ...(input.cluster ? { cluster: { kubernetesVersion: null, oldestKubeletVersion: null, ...input.cluster } } : {}),
    };
  });
}

for (const c of [...reviewCases(), ...inputCases()]) {
  t.test(c.name, async (t) => {
    const snapshot = snapshotWith(c.config, c.templates);
    const before = JSON.stringify(c.pod);
    const env = { cluster: c.cluster };
    const outcome = evaluatePod(c.pod, c.namespace, snapshot, c.request, env);
    const injected = applyOutcome(c.pod, outcome);
    t.equal(JSON.stringify(c.pod), before, 'the input object is not modified');

    const result: Record<string, unknown> = {
      decision: outcome.decision,
      warnings: outcome.warnings,
      ...(outcome.denial ? { denial: outcome.denial } : {}),
      settings: outcome.settings,
      patch: outcome.patch,
      ...(c.withObject ? { injected } : {}),
    };
    // The config revision is a content hash: every template edit would touch every golden.
    const actual = JSON.parse(JSON.stringify(result).replaceAll(snapshot.revision, '<revision>'));
    const goldenFile = join(DATA, `${c.name}.golden.yaml`);
    const text = stringify(actual, { lineWidth: 0, aliasDuplicateObjects: false });
    if (UPDATE) writeFileSync(goldenFile, text);
    t.ok(existsSync(goldenFile), `golden file exists (run npm run golden): ${goldenFile}`);
    if (existsSync(goldenFile)) t.same(actual, parse(readFileSync(goldenFile, 'utf8')), 'matches the golden file');

    // The patch is the injected object, exactly: `add`, and `replace` only where a merge
    // changed one of the pod's values (a pod without merges gets adds only).
    const patched = fjp.applyPatch(structuredClone(c.pod), fjp.deepClone(outcome.patch), true, false).newDocument;
    t.same(patched, injected, 'applying the patch gives the injected object');
    const merges = outcome.plan ? Object.values(outcome.plan.merged).flat().length : 0;
    const relocated = outcome.plan ? outcome.plan.relocated.containers.length + outcome.plan.relocated.initContainers.length : 0;
    t.ok(outcome.patch.every((op) => op.op === 'add' || (op.op === 'replace' && merges > 0)
      || (op.op === 'remove' && relocated > 0 && /^\/spec\/(containers|initContainers)\/\d+$/.test(op.path))), 'add operations, replace only for merges, remove only for a relocated declaration');

    // Injecting the result again changes nothing.
    const again = evaluatePod(injected, c.namespace, snapshot, c.request, env);
    t.same(again.patch, [], 're-injection is a no-op');
    if (outcome.patch.length > 0) t.equal(again.decision.reason, 'already-injected');
  });
}
