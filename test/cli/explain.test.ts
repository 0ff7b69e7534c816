// `sidecar-injector explain`, run in-process with the small test configuration.
import t from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fjp from 'fast-json-patch';
import { parseAllDocuments, stringify } from 'yaml';
import type { Explanation } from '../../src/cli/explain.js';
import { cli, DATA, EXAMPLES, explain, inject, TEST_CONFIG, UPDATE } from './support/cli.js';

const POD = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', annotations: { 'sidecar-injector.io/proxy-cpu': '250m' } },
  spec: { containers: [{ name: 'app', image: 'app:1' }] },
};

async function explainJson(stdin: string, extra: string[] = []): Promise<Explanation[]> {
  const r = await explain(stdin, ['-o', 'json', ...extra]);
  if (r.code !== 0) throw new Error(`explain failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Explanation[];
}

t.test('json: one entry per pod, with decision, reason, settings and their sources', async (t) => {
  const [e] = await explainJson(stringify(POD), ['--namespace-annotations', 'sidecar-injector.io/proxy-memory=64Mi']);
  t.match(e, {
    file: '<stdin>', document: 1, path: '', object: { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'shop' },
    decision: 'inject', reason: 'namespace-enabled', templates: ['sidecar'], warnings: [],
  });
  const byName = new Map(e.settings.map((s) => [s.annotation, s]));
  t.same(byName.get('proxy-cpu'), { name: 'proxyCPU', annotation: 'proxy-cpu', value: '250m', source: 'pod', key: 'sidecar-injector.io/proxy-cpu' });
  t.same(byName.get('proxy-memory'), { name: 'proxyMemory', annotation: 'proxy-memory', value: '64Mi', source: 'namespace', key: 'sidecar-injector.io/proxy-memory' });
  t.match(byName.get('proxy-image'), { source: 'config', key: 'values.proxy.image', value: 'registry.example.com/proxy:1.0' });
  t.match(byName.get('templates'), { source: 'config', key: 'defaultTemplates' });
  t.ok(e.patch.length > 0);
  t.ok(e.patch.every((op) => op.op === 'add'), 'add operations only');
});

t.test('json: the patch applied to the document gives what inject writes', async (t) => {
  const inputs = [
    ...readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(join(EXAMPLES, f), 'utf8')),
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [POD, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: POD } }] }),
  ];
  for (const text of inputs) {
    const explanations = await explainJson(text);
    const injected = parseAllDocuments((await inject(text)).stdout).map((d) => d.toJS());
    const documents = parseAllDocuments(text).map((d) => d.toJS());
    t.ok(explanations.length > 0);
    for (const e of explanations) {
      const patched = fjp.applyPatch(structuredClone(documents[e.document - 1]), fjp.deepClone(e.patch), true, false).newDocument;
      documents[e.document - 1] = patched;
    }
    t.same(documents, injected, text.slice(0, 60));
  }
});

t.test('skipped and refused pods are explained too', async (t) => {
  const skipped = await cli(['explain', '-f', '-', '--config-dir', TEST_CONFIG, '-o', 'json'], stringify(POD));
  t.equal(skipped.code, 0);
  t.match(JSON.parse(skipped.stdout), [{ decision: 'skip', reason: 'not-opted-in', settings: [], patch: [] }]);

  const bad = { ...POD, metadata: { ...POD.metadata, annotations: { 'sidecar-injector.io/proxy-cpu': 'lots' } } };
  const refused = await explain(stringify(bad), ['--output=json']);
  t.equal(refused.code, 0, 'a refusal is an explanation, not an error');
  const [e] = JSON.parse(refused.stdout) as Explanation[];
  t.equal(e.decision, 'deny');
  t.match(e.denial, /sidecar-injector\.io\/proxy-cpu.*lots/);
  t.same(e.patch, []);
  const text = await explain(stringify(bad));
  t.match(text.stdout, /^ {2}decision: +deny$/m);
  t.match(text.stdout, /^ {2}denial: +.*lots/m);
});

t.test('text: readable, one block per pod, columns aligned', async (t) => {
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' }, spec: { template: POD } };
  const text = `${stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } })}---\n${stringify(deployment)}---\n${stringify(POD)}`;
  const r = await explain(text, ['--namespace-annotations', 'sidecar-injector.io/unknown-thing=1']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, '');
  const blocks = r.stdout.split('\n\n');
  t.equal(blocks.length, 2, 'the Service is not a pod');
  t.match(blocks[0], /^<stdin>: document 2 at \/spec\/template \(Deployment\/d\)\n/);
  t.match(blocks[1], /^<stdin>: document 3 \(Pod\/web\)\n/);
  for (const field of ['namespace: +shop', 'decision: +inject', 'reason: +namespace-enabled', 'templates: +sidecar']) {
    t.match(blocks[0], new RegExp(`^ {2}${field}$`, 'm'), field);
  }
  t.match(blocks[0], /^ {2}warnings:\n {4}- .*unknown-thing/m);
  t.match(blocks[0], /^ {2}patch \(JSON Patch against the document\):\n {4}\[/m);
  t.match(blocks[0], /"path": "\/spec\/template\/spec\/containers\/-"/, 'patch paths start at the document root');
  const rows = blocks[0].split('\n').filter((l) => /^ {4}(SETTING|[a-z-]+ {2,})/.test(l));
  t.ok(rows.length >= 16, 'a header and a row per setting');
  const sourceColumn = rows[0].indexOf('SOURCE');
  for (const row of rows.slice(1)) t.match(row.slice(sourceColumn), /^(pod annotation|namespace annotation|config) \S+$/, row);
  t.match(blocks[0], /^ {4}proxy-cpu +250m +pod annotation sidecar-injector\.io\/proxy-cpu$/m);
  t.match(blocks[0], /^ {4}proxy-image +registry\.example\.com\/proxy:1\.0 +config values\.proxy\.image$/m);
});

t.test('no pods in the input', async (t) => {
  const service = stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } });
  t.equal((await explain(service)).stdout, '<stdin>: no pods or pod templates found\n');
  t.equal((await explain(service, ['-o', 'json'])).stdout, '[]\n');
});

t.test('errors and usage', async (t) => {
  const badOutput = await cli(['explain', '-f', '-', '-o', 'yaml']);
  t.equal(badOutput.code, 2);
  t.match(badOutput.stderr, /^sidecar-injector explain: --output: "yaml" is not an output format; expected text or json/);
  t.match(badOutput.stderr, /Usage: sidecar-injector explain/);
  const missing = await cli(['explain']);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /missing -f FILE/);
  const badYaml = await explain('kind: Pod\n---\na: [\n');
  t.equal(badYaml.code, 1);
  t.match(badYaml.stderr, /^error: <stdin>: document 2, line \d+: invalid YAML/);
  const help = await cli(['explain', '-h']);
  t.equal(help.code, 0);
  t.match(help.stdout, /-o, --output text\|json/);
});

// Expected text of the examples, reviewed by eye. Regenerate with
// UPDATE_GOLDEN=1 npx tap test/cli/explain.test.ts
t.test('examples match their expected explanation', async (t) => {
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort()) {
    const r = await explain(readFileSync(join(EXAMPLES, file), 'utf8'));
    t.equal(r.code, 0, `${file}: ${r.stderr}`);
    const golden = join(DATA, 'golden', file.replace(/\.yaml$/, '.explain.txt'));
    if (UPDATE) writeFileSync(golden, r.stdout);
    t.equal(r.stdout, readFileSync(golden, 'utf8'), file);
  }
});

t.test("warnings: deploy/'s webhooks would not send the pod; injection keys on the workload's own metadata", async (t) => {
  const pod = (labels: object, annotations: object) => stringify({ ...POD, metadata: { name: 'web', namespace: 'shop', labels, annotations } });
  const unlabelled = ['--namespace-labels', 'team=a'];
  const [annotationOnly] = await explainJson(pod({}, { 'sidecar-injector.io/inject': 'true' }), unlabelled);
  t.equal(annotationOnly.decision, 'inject', 'the injector itself would inject');
  const routing = annotationOnly.warnings.find((w) => w.includes('deploy/base'));
  t.match(routing, /would not send this pod/, 'but the shipped webhooks would not send it');
  t.match(routing, /fix: pod label sidecar-injector\.io\/inject=true/, 'and the label that would fix it is named');
  const [labelled] = await explainJson(pod({ 'sidecar-injector.io/inject': 'true' }, {}), unlabelled);
  t.same(labelled.warnings, [], 'a pod label opt-in is sent');
  const [istio] = await explainJson(pod({}, {}), ['--namespace-labels', 'istio-injection=enabled']);
  t.equal(istio.decision, 'inject');
  t.match(istio.warnings.join('\n'), /Istio's sidecar\.istio\.io\/inject \/ istio-injection are routed only with webhooks that select them/, 'Istio keys without Istio routing');
  const [enabled] = await explainJson(pod({}, {}), ['--namespace-labels', 'sidecar-injection=enabled']);
  t.same(enabled.warnings, [], 'a labelled namespace is sent');

  const deployment = stringify({
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { 'sidecar-injector.io/inject': 'true' }, annotations: { 'sidecar.istio.io/proxyCPU': '1' } },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } },
  });
  const [misplaced] = await explainJson(deployment, unlabelled);
  t.equal(misplaced.decision, 'skip', 'the keys on the Deployment itself do nothing');
  t.same(misplaced.warnings.filter((w) => w.includes('IST0107')).map((w) => w.split(' on its own')[0]),
    ['Deployment/web sets the label sidecar-injector.io/inject', 'Deployment/web sets the annotation sidecar.istio.io/proxyCPU'], 'both are named');
});
