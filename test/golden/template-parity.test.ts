// The compiled templates render what json-e renders (issue 15, "Render misses"), on every
// render the engine makes for: the golden inputs (test/golden/data and the captured
// reviews), the built-in and istio profiles on every captured review, the config trial
// renders, and Istio's injection corpus (read from ../shared when present). The engine
// runs with render.js wrapped so each (template, context) it renders is recorded; each is
// then rendered by json-e and by the compiled form, and must agree exactly.
import t, { type Test } from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import * as render from '../../src/injection/render.js';
import type { NamespaceView, Pod, RequestInfo, Snapshot, Template } from '../../src/injection/types.js';
import { ROOT, TEMPLATES_DIR, readConfigFiles } from '../support/config.js';
import * as corpus from '../istio/support/corpus.js';
import { readCapturedReviews } from '../support/fixtures.js';
import { ParityLog } from '../support/render-parity.js';

interface Recorded { template: Template; context: Record<string, unknown> }
const recorded: Recorded[] = [];

function record(names: readonly string[], snapshot: Snapshot, context: render.TemplateContext): void {
  for (const name of names) {
    const template = snapshot.templates.get(name);
    if (template) recorded.push({ template, context: context as unknown as Record<string, unknown> });
  }
}

// The engine and the config compiler get this render.js (tap's mocks reach direct imports:
// the modules that import those two get the wrapped ones in turn).
const renderMock = {
  '../../src/injection/render.js': {
    ...render,
    renderTemplates: (names: readonly string[], snapshot: Snapshot, context: render.TemplateContext) => {
      record(names, snapshot, context);
      return render.renderTemplates(names, snapshot, context);
    },
    renderTemplatesCached: (names: readonly string[], snapshot: Snapshot, context: render.TemplateContext) => {
      record(names, snapshot, context);
      return render.renderTemplates(names, snapshot, context);
    },
  },
};
const engine = await t.mockImport<typeof import('../../src/injection/engine.js')>('../../src/injection/engine.js', renderMock);
const compile = await t.mockImport<typeof import('../../src/config/compile.js')>('../../src/config/compile.js', renderMock);
const mocks = { '../../src/injection/engine.js': engine, '../../src/config/compile.js': compile };
const configSupport = await t.mockImport<typeof import('../support/config.js')>('../support/config.js', mocks);
const run = await t.mockImport<typeof import('../istio/support/run.js')>('../istio/support/run.js', mocks);

/** Checks every render recorded since `from` against json-e. */
function checkRecorded(t: Test, what: string, from: number): void {
  const log = new ParityLog();
  for (const [i, r] of recorded.slice(from).entries()) log.check(`${what} #${i} (${r.template.name})`, r.template.source, r.context);
  t.ok(log.renders > 0, `${what}: renders were recorded`);
  t.strictSame(log.mismatches.slice(0, 3), [], `${what}: ${log.renders} renders (${log.errors} failing) identical to json-e's`);
}

const GOLDEN_DATA = join(ROOT, 'test', 'golden', 'data');
const CREATE: RequestInfo = { kind: 'Pod', operation: 'CREATE' };

t.test('golden inputs', async (t) => {
  const from = recorded.length;
  for (const { review } of readCapturedReviews()) {
    const req = review.request;
    engine.evaluatePod(req.object, { name: req.namespace, labels: { 'sidecar-injection': 'enabled' }, annotations: {} },
      configSupport.snapshotWith(), { kind: req.kind.kind, operation: req.operation });
  }
  for (const file of readdirSync(GOLDEN_DATA).filter((f) => f.endsWith('.input.yaml')).sort()) {
    const input = parse(readFileSync(join(GOLDEN_DATA, file), 'utf8'));
    let snapshot: Snapshot;
    try {
      snapshot = configSupport.snapshotWith(input.config ?? {}, input.templates ?? []);
    } catch {
      continue; // A config the golden expects refused: its trial renders were recorded.
    }
    const namespace: NamespaceView = { name: 'shop', labels: {}, annotations: {}, ...input.namespace };
    const cluster = input.cluster ? { kubernetesVersion: null, oldestKubeletVersion: null, ...input.cluster } : undefined;
    engine.evaluatePod(input.object, namespace, snapshot, { ...CREATE, ...input.request }, { cluster });
  }
  checkRecorded(t, 'golden inputs and their configs\' trial renders', from);
});

t.test('built-in and istio profiles on every captured review', async (t) => {
  const profiles = [
    { dir: TEMPLATES_DIR, labels: { 'sidecar-injection': 'enabled' } as Record<string, string> },
    { dir: join(TEMPLATES_DIR, 'profiles', 'istio'), labels: { 'istio-injection': 'enabled' } },
  ];
  const from = recorded.length;
  for (const profile of profiles) {
    const snapshot = compile.compileSnapshot(readConfigFiles(profile.dir), { ownNamespace: 'sidecar-injector' });
    for (const kubernetesVersion of [null, '1.28', '1.33']) {
      for (const { review } of readCapturedReviews()) {
        const namespace = { name: review.request.namespace, labels: profile.labels, annotations: {} };
        engine.evaluatePod(review.request.object as Pod, namespace, snapshot, CREATE, { cluster: { kubernetesVersion, oldestKubeletVersion: null } });
      }
    }
  }
  checkRecorded(t, 'profiles on captured reviews', from);
});

t.test('istio corpus', async (t) => {
  if (!corpus.corpusPresent()) {
    t.pass(`skipped: Istio's injection corpus not found at ${corpus.CORPUS_DIR} (set ISTIO_CORPUS; see test/istio)`);
    return;
  }
  const from = recorded.length;
  let pods = 0;
  for (const c of corpus.loadCases()) {
    for (const { pod, namespace } of corpus.readPods(c.in)) {
      run.injectIstio(c, pod, namespace);
      pods++;
    }
  }
  t.comment(`istio corpus: ${pods} pods`);
  checkRecorded(t, 'istio corpus', from);
});
