// `sidecar-injector inject`, run in-process with the small test configuration.
import t, { type Test } from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { cli, DATA, EXAMPLES, inject, TEST_CONFIG, UPDATE } from './support/cli.js';

const STATUS = 'sidecar-injector.io/status';

const TEMPLATE = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1', ports: [{ containerPort: 8080 }] }] },
};

/** One object of each kind that has a pod, with the path to it. */
const WORKLOADS: Array<{ apiVersion: string; kind: string; path: string[]; object: Record<string, unknown> }> = [
  { apiVersion: 'v1', kind: 'Pod', path: [], object: { ...TEMPLATE, metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } } } },
  ...(['ReplicationController', 'Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'Job'] as const).map((kind) => ({
    apiVersion: kind === 'ReplicationController' ? 'v1' : kind === 'Job' ? 'batch/v1' : 'apps/v1',
    kind, path: ['spec', 'template'],
    object: { metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 2, template: TEMPLATE } },
  })),
  {
    apiVersion: 'batch/v1', kind: 'CronJob', path: ['spec', 'jobTemplate', 'spec', 'template'],
    object: { metadata: { name: 'web', namespace: 'shop' }, spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: TEMPLATE } } } },
  },
];

function manifest(w: (typeof WORKLOADS)[number]): Record<string, unknown> {
  return { apiVersion: w.apiVersion, kind: w.kind, ...structuredClone(w.object) };
}

function at(value: any, path: string[]): any {
  return path.reduce((v, k) => v?.[k], value);
}

/** The object with its pod taken out: what must not change. */
function withoutPod(value: any, path: string[]): any {
  const copy = structuredClone(value);
  if (path.length === 0) return { apiVersion: copy.apiVersion, kind: copy.kind, name: copy.metadata.name };
  delete at(copy, path.slice(0, -1))[path[path.length - 1]];
  return copy;
}

function checkInjected(t: Test, pod: any, label: string): void {
  t.ok(pod.metadata.annotations[STATUS], `${label}: status annotation`);
  t.same(pod.spec.containers.map((c: any) => c.name), ['app', 'proxy'], `${label}: proxy added after the app`);
  t.same(pod.spec.initContainers.map((c: any) => c.name), ['proxy-init'], `${label}: init container`);
  t.same(pod.spec.volumes.map((v: any) => v.name), ['proxy-config'], `${label}: volume`);
}

t.test('injects the pod of every workload kind, YAML and JSON', async (t) => {
  for (const w of WORKLOADS) {
    for (const format of ['yaml', 'json'] as const) {
      const input = manifest(w);
      const text = format === 'json' ? JSON.stringify(input, null, 2) : stringify(input);
      const r = await inject(text);
      const label = `${w.kind} (${format})`;
      t.equal(r.code, 0, `${label}: exit 0`);
      t.equal(r.stderr, '', `${label}: nothing on stderr`);
      const out = format === 'json' ? JSON.parse(r.stdout) : parse(r.stdout);
      checkInjected(t, at(out, w.path), label);
      t.same(withoutPod(out, w.path), withoutPod(input, w.path), `${label}: the rest of the object is unchanged`);
      if (format === 'json') t.match(r.stdout, /^\{\n {2}"apiVersion"/, 'JSON in, JSON out, same indentation');
    }
  }
});

t.test('a List (kubectl get -o json) has each item injected', async (t) => {
  const list = {
    apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' },
    items: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } }, ...WORKLOADS.map(manifest)],
  };
  for (const text of [JSON.stringify(list, null, 4), stringify(list)]) {
    const r = await inject(text);
    t.equal(r.code, 0);
    const out = text.startsWith('{') ? JSON.parse(r.stdout) : parse(r.stdout);
    t.same(out.items[0], list.items[0], 'the Service passes through');
    WORKLOADS.forEach((w, i) => checkInjected(t, at(out.items[i + 1], w.path), `List item ${w.kind}`));
  }
});

const MULTI = `# Leading comment, kept.
apiVersion: v1
kind: Service
metadata:
  name: web   # odd spacing, kept
spec: {ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels: {app: web}   # flow style
    spec:
      containers: [{name: app, image: "app:1"}]
---
apiVersion: example.com/v1
kind: Deployment
metadata:
  name: not-apps
spec:
  template:
    spec:
      containers: [{name: app}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web}
data: {on: "on"}
`;

t.test('multi-document YAML: order, separators and untouched documents are kept', async (t) => {
  const r = await inject(MULTI);
  t.equal(r.code, 0, r.stderr);
  const inDocs = MULTI.split('\n---\n');
  const outDocs = r.stdout.split('\n---\n');
  t.equal(outDocs.length, 4);
  t.equal(outDocs[0], inDocs[0], 'the Service, byte for byte');
  t.equal(outDocs[2], inDocs[2], 'a Deployment of another API group passes through');
  t.equal(outDocs[3], inDocs[3], 'the ConfigMap, byte for byte');
  t.match(outDocs[1], /# flow style/, 'comments inside the injected document are kept');
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
  checkInjected(t, docs[1].spec.template, 'Deployment');
  t.notMatch(r.stdout, /[&*]a\d+\b/, 'no YAML anchors or aliases');
});

t.test('several JSON values one after another', async (t) => {
  const text = `${JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } })}\n${JSON.stringify(manifest(WORKLOADS[2]), null, 2)}\n`;
  const r = await inject(text);
  t.equal(r.code, 0, r.stderr);
  const [first, ...rest] = r.stdout.split('\n');
  t.equal(first, text.split('\n')[0], 'the Service is written as it was');
  checkInjected(t, JSON.parse(rest.join('\n')).spec.template, 'Deployment after a Service');
});

t.test('inject of its own output changes nothing', async (t) => {
  const inputs = [
    MULTI,
    ...WORKLOADS.map((w) => stringify(manifest(w))),
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: WORKLOADS.map(manifest) }, null, 2),
    ...readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(join(EXAMPLES, f), 'utf8')),
  ];
  for (const text of inputs) {
    const once = await inject(text);
    t.equal(once.code, 0, once.stderr);
    t.not(once.stdout, text, 'the first run injects');
    const twice = await inject(once.stdout);
    t.equal(twice.code, 0);
    t.equal(twice.stdout, once.stdout, 'the second run writes its input back');
    t.equal(twice.stderr, '');
  }
});

t.test('pods that are not injected are written unchanged', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['namespace not enabled', []],
    ['namespace disabled', ['--namespace-labels', 'sidecar-injection=disabled']],
  ];
  for (const [label, flags] of cases) {
    const r = await cli(['inject', '-f', '-', '--config-dir', TEST_CONFIG, ...flags], MULTI);
    t.equal(r.code, 0, label);
    t.equal(r.stdout, MULTI, `${label}: output is the input`);
  }
  const never = stringify({ ...manifest(WORKLOADS[0]), metadata: { name: 'p', labels: { 'sidecar-test': 'never' } } });
  t.equal((await inject(never)).stdout, never, 'neverInjectSelector');
  const hostNetwork = stringify({ ...manifest(WORKLOADS[0]), spec: { hostNetwork: true, containers: [{ name: 'a' }] } });
  t.equal((await inject(hostNetwork)).stdout, hostNetwork, 'hostNetwork');
  const kubeSystem = stringify({ ...manifest(WORKLOADS[0]), metadata: { name: 'p', namespace: 'kube-system' } });
  t.equal((await inject(kubeSystem)).stdout, kubeSystem, 'ignored namespace');
});

t.test('the namespace flags stand in for the namespace', async (t) => {
  const pod = stringify(manifest(WORKLOADS[0]));
  const r = await cli(['inject', '-f', '-', '--config-dir', TEST_CONFIG,
    '--namespace-labels', 'istio-injection=enabled',
    '--namespace-annotations', 'sidecar-injector.io/proxy-cpu=300m,sidecar-injector.io/exclude-outbound-ports=5432,6379'], pod);
  t.equal(r.code, 0, r.stderr);
  const out = parse(r.stdout);
  const proxy = out.spec.containers.find((c: any) => c.name === 'proxy');
  t.equal(proxy.resources.requests.cpu, '300m', 'namespace annotation as the default');
  t.same(out.spec.initContainers[0].args.slice(-1), ['5432,6379'], 'a value with commas');
});

t.test('a pod the injector refuses: exit 1, nothing on stdout, the reason on stderr', async (t) => {
  const bad = structuredClone(manifest(WORKLOADS[2])) as any;
  bad.spec.template.metadata.annotations = { 'sidecar-injector.io/proxy-cpu': 'lots' };
  const text = `${stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } })}---\n${stringify(bad)}`;
  const r = await inject(text);
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.match(r.stderr, /^error: <stdin>: document 2 \(Deployment\/web\): .*sidecar-injector\.io\/proxy-cpu.*lots/m);
});

t.test('warnings go to stderr and the output is still written', async (t) => {
  const pod = structuredClone(manifest(WORKLOADS[0])) as any;
  pod.metadata.annotations = { 'sidecar-injector.io/proxy-cpuu': '1', 'sidecar-injector.io/inject': 'maybe' };
  const r = await inject(stringify(pod));
  t.equal(r.code, 0);
  checkInjected(t, parse(r.stdout), 'pod with warnings');
  t.match(r.stderr, /^warning: <stdin>: document 1 \(Pod\/web\): .*proxy-cpuu.*did you mean/m);
  t.match(r.stderr, /^warning: <stdin>: document 1 \(Pod\/web\): .*maybe/m);
});

t.test('invalid input: exit 1, naming the file, document and field', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'kind: Service\n---\nkind: Pod\nmetadata: [\n' });
  const cases: Array<[string[], string, RegExp]> = [
    [['-f', join(dir, 'bad.yaml')], '', /^error: .*bad\.yaml: document 2, line 5: invalid YAML/],
    [['-f', '-'], 'kind: Service\n---\nkind: Pod\n  bad: indent\n', /^error: <stdin>: document 2, line \d+: invalid YAML/],
    [['-f', '-'], '{"kind": "Service"}\n{"kind": "Pod",\n "spec": }', /^error: <stdin>: document 2, line 3: invalid JSON/],
    [['-f', '-'], 'apiVersion: v1\nmetadata: {name: x}\n', /^error: <stdin>: document 1: field kind: missing/],
    [['-f', '-'], '- a\n- b\n', /^error: <stdin>: document 1: expected a Kubernetes object/],
    [['-f', '-'], 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n',
      /^error: <stdin>: document 1 \(Deployment\/d\): field spec\.template: expected a pod template/],
    [['-f', join(dir, 'missing.yaml')], '', /^error: .*missing\.yaml: cannot read: no such file/],
    [['-f', dir], '', /^error: .*: cannot read: it is a directory/],
  ];
  for (const [flags, stdin, message] of cases) {
    const r = await cli(['inject', ...flags, '--config-dir', TEST_CONFIG], stdin);
    t.equal(r.code, 1, `${message}`);
    t.match(r.stderr, message);
    t.equal(r.stdout, '');
  }
});

t.test('a bad configuration: exit 1 with the file and field', async (t) => {
  const config = readFileSync(join(TEST_CONFIG, 'config.yaml'), 'utf8');
  const template = readFileSync(join(TEST_CONFIG, 'sidecar.template.yaml'), 'utf8');
  const dir = t.testdir({
    policy: { 'config.yaml': config.replace('policy: enabled', 'policy: sometimes'), 'sidecar.template.yaml': template },
    template: { 'config.yaml': config, 'sidecar.template.yaml': 'containers: {not: a list}\n' },
    empty: {},
  });
  const cases: Array<[string, RegExp]> = [
    [join(dir, 'policy'), /^error: invalid configuration: config\.yaml: policy: must be "enabled" or "disabled"/],
    [join(dir, 'template'), /^error: invalid configuration: sidecar\.template\.yaml: containers: /],
    [join(dir, 'empty'), /^error: invalid configuration: config\.yaml: missing/],
    [join(dir, 'nowhere'), /^error: invalid configuration: cannot read config directory .*nowhere: it does not exist/],
  ];
  for (const [configDir, message] of cases) {
    const r = await cli(['inject', '-f', '-', '--config-dir', configDir], stringify(manifest(WORKLOADS[0])));
    t.equal(r.code, 1, configDir);
    t.match(r.stderr, message);
  }
});

t.test('usage errors: exit 2 with the usage', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['inject'], /missing -f FILE/],
    [['inject', '-f'], /argument missing/],
    [['inject', '-f', 'a.yaml', '-f', 'b.yaml'], /-f given 2 times/],
    [['inject', '-f', '-', '--frobnicate'], /Unknown option '--frobnicate'$/m],
    [['inject', '-f', '-', 'extra'], /Unexpected argument 'extra'$/m],
    [['inject', '-f', '-', '--namespace-labels', 'enabled'], /--namespace-labels: "enabled" has no "="/],
    [['inject', '-f', '-', '--namespace-labels', 'a=b,c'], /not a valid label value/],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(argv);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.stderr, /^sidecar-injector inject: /);
    t.match(r.stderr, message);
    t.match(r.stderr, /Usage: sidecar-injector inject -f FILE\|-/);
    t.equal(r.stdout, '');
  }
});

t.test('inject --help', async (t) => {
  const r = await cli(['inject', '--help']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^Usage: sidecar-injector inject -f FILE\|-/);
  for (const flag of ['--filename', '--config-dir', '--namespace-labels', '--namespace-annotations']) t.match(r.stdout, flag);
});

// Expected outputs of the examples, reviewed by eye. Regenerate with
// UPDATE_GOLDEN=1 npx tap test/cli/inject.test.ts
t.test('examples match their expected output', async (t) => {
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort()) {
    const r = await inject(readFileSync(join(EXAMPLES, file), 'utf8'));
    t.equal(r.code, 0, `${file}: ${r.stderr}`);
    const golden = join(DATA, 'golden', file.replace(/\.yaml$/, '.injected.yaml'));
    if (UPDATE) writeFileSync(golden, r.stdout);
    t.equal(r.stdout, readFileSync(golden, 'utf8'), file);
  }
});
