import t from 'tap';
import fc from 'fast-check';
import { parse } from 'yaml';
import {
  describeSite, detectFormat, InputError, jsonErrorOffset, locatePods, parseInput, pointerOf, POD_KINDS, type DocumentEdit,
} from '../../src/cli/documents.js';
import type { PatchOperation } from '../../src/injection/types.js';

t.test('detects JSON by its first character, YAML otherwise', async (t) => {
  t.equal(detectFormat('{"kind":"Pod"}'), 'json');
  t.equal(detectFormat('\n  [1]'), 'json');
  t.equal(detectFormat('\uFEFF{}'), 'json');
  t.equal(detectFormat('kind: Pod'), 'yaml');
  t.equal(detectFormat('---\n{a: 1}'), 'yaml');
  t.equal(detectFormat(''), 'yaml');
});

t.test('YAML: documents in order, 1-based, empty ones included', async (t) => {
  const input = parseInput('a: 1\n---\n# only a comment\n---\nb: [p, q]\n', 'in.yaml');
  t.equal(input.format, 'yaml');
  t.same(input.documents, [{ index: 1, value: { a: 1 } }, { index: 2, value: null }, { index: 3, value: { b: ['p', 'q'] } }]);
  t.same(parseInput('', 'in.yaml').documents, []);
});

t.test('YAML is read as kubectl reads it (YAML 1.1)', async (t) => {
  t.same(parseInput('a: on\nb: "on"\nc: 0777\nd: y\ne: 2024-01-31\nf: 12:30\ng: 1_000\n', 'x').documents[0].value,
    { a: true, b: 'on', c: 511, d: true, e: '2024-01-31', f: '12:30', g: 1000 });
});

t.test('YAML errors name the document and the line', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['a: 1\n---\nb: [1, 2\n', /^in\.yaml: document 2, line 4: invalid YAML: /],
    ['a: b\n  c: d\n', /^in\.yaml: document 1, line 1: invalid YAML: /],
    ['a: 1\n---\nk: 1\nk: 2\n', /^in\.yaml: document 2, line 4: invalid YAML: .*(unique|Map keys)/],
    ['# nothing\n%TAG !x\n', /^in\.yaml: document 1, line 2: invalid YAML: %TAG directive/],
  ];
  for (const [text, message] of cases) {
    const err = t.throws(() => parseInput(text, 'in.yaml'), { name: 'InputError', message }, JSON.stringify(text)) as InputError;
    t.equal(err.exitCode, 1);
  }
});

t.test('JSON: one value or several, one after another', async (t) => {
  const one = parseInput('{"kind": "Pod"}\n', 'in.json');
  t.equal(one.format, 'json');
  t.same(one.documents, [{ index: 1, value: { kind: 'Pod' } }]);
  const many = parseInput('{"a": "}{"}\n{"b": [1, {"c": "\\"]"}]}{"d": 1}', 'in.json');
  t.same(many.documents.map((d) => d.value), [{ a: '}{' }, { b: [1, { c: '"]' }] }, { d: 1 }]);
});

t.test('JSON errors name the document and the line', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['{"a": 1}\n{"b": 2,\n "c": }\n', /^in\.json: document 2, line 3: invalid JSON: /],
    ['{"a": 1}\n{"b": [1, 2}\n', /^in\.json: document 2, line 2: invalid JSON/],
    ['{"a": 1}\n\n{"b": 2', /^in\.json: document 2, line 3: invalid JSON: the value is not closed/],
    ['{"a": 1} 42', /^in\.json: document 2, line 1: invalid JSON: expected an object/],
  ];
  for (const [text, message] of cases) t.throws(() => parseInput(text, 'in.json'), { message }, JSON.stringify(text));
});

t.test('jsonErrorOffset finds where JSON stops being JSON', async (t) => {
  const cases: Array<[string, number]> = [
    ['{"a": [1, 2.5e3, true, false, null, "x\\"y"]}', -1],
    ['{"b": 2,\n "c": }', 15],
    ['{"b" 2}', 5],
    ['[1,]', 3],
    ['{"a": tru}', 6],
    ['{"a": 1} x', 9],
    ['"abc', 4],
  ];
  for (const [text, offset] of cases) t.equal(jsonErrorOffset(text), offset, text);
  // It agrees with JSON.parse on valid JSON and on every cut of it.
  fc.assert(fc.property(fc.json(), fc.nat(), (json, cut) => {
    const text = json.slice(0, cut % (json.length + 1));
    let valid = true;
    try {
      JSON.parse(text);
    } catch {
      valid = false;
    }
    return (jsonErrorOffset(text) === -1) === valid;
  }), { numRuns: 2000 });
});

t.test('render without edits gives the input back byte for byte', async (t) => {
  const inputs = [
    '# head\napiVersion: v1\nkind: Service   # odd spacing\nmetadata: {name: a}\n',
    '---\na: 1\n...\n# between\n---\nb: 2\n---\n',
    '%YAML 1.1\n---\na: 1\n',
    '\uFEFFa: 1\r\n---\r\nb: 2\r\n',
    'a: 1\n---\nb: 2', // no final newline
    '{"kind":"Pod"}\n\n  {\n    "kind": "Service"\n  }  \n',
  ];
  for (const text of inputs) t.equal(parseInput(text, 'x').render(new Map()), text, JSON.stringify(text));
});

function addEdit(value: unknown, path: Array<string | number>, patch: PatchOperation[]): DocumentEdit {
  return { value, sites: [{ path, patch }] };
}

t.test('render applies an edit to its document only, keeping comments and separators', async (t) => {
  const text = [
    'kind: Service # untouched',
    'metadata: {name: s}',
    '---',
    '# the deployment',
    'kind: Deployment',
    'spec:',
    '  template:',
    '    metadata: {labels: {app: web}}  # labels',
    '    spec:',
    '      containers: [{name: app, image: "app:1"}]',
    '...',
    '---',
    'kind: ConfigMap',
    '',
  ].join('\n');
  const input = parseInput(text, 'x');
  const value = structuredClone(input.documents[1].value) as any;
  value.spec.template.metadata.annotations = { note: 'off' };
  value.spec.template.spec.containers.push({ name: 'proxy', image: 'proxy:1', args: ['--log-level', 'off'] });
  const out = input.render(new Map([[2, addEdit(value, ['spec', 'template'], [
    { op: 'add', path: '/metadata/annotations', value: { note: 'off' } },
    { op: 'add', path: '/spec/containers/-', value: { name: 'proxy', image: 'proxy:1', args: ['--log-level', 'off'] } },
  ])]]));
  t.ok(out.startsWith('kind: Service # untouched\nmetadata: {name: s}\n---\n# the deployment\n'), out);
  t.ok(out.endsWith('...\n---\nkind: ConfigMap\n'), 'the end marker and the next document stay');
  t.match(out, /# labels/, 'comments inside the edited document stay');
  t.equal((out.match(/\.\.\./g) ?? []).length, 1, 'one end marker');
  t.match(out, /- name: proxy\n/, 'added containers are written in block style');
  t.match(out, /"off"/, 'strings YAML 1.1 would read as booleans are quoted');
  const docs = parseInput(out, 'x').documents;
  t.same(docs[1].value, value);
  t.same(docs.map((d) => (d.value as any)?.kind), ['Service', 'Deployment', 'ConfigMap']);
});

t.test('render falls back to writing the pod when the patch does not fit the tree', async (t) => {
  // An alias: the tree holds *labels, not a mapping the patch can add to.
  const text = 'kind: Pod\nx: &labels {app: a}\nmetadata:\n  labels: *labels\nspec:\n  containers: [{name: a}]\n';
  const input = parseInput(text, 'x');
  const value = structuredClone(input.documents[0].value) as any;
  value.metadata.labels.extra = 'yes';
  const out = input.render(new Map([[1, addEdit(value, [], [{ op: 'add', path: '/metadata/labels/extra', value: 'yes' }])]]));
  t.same(parseInput(out, 'x').documents[0].value, value);
  // A patch that does not describe the change at all: the document is written from the value.
  const wrong = input.render(new Map([[1, addEdit(value, [], [{ op: 'add', path: '/nowhere/x', value: 1 }])]]));
  t.same(parseInput(wrong, 'x').documents[0].value, value);
});

t.test('render writes each comment of an edited document once', async (t) => {
  const text = '\uFEFF# before the first\nkind: Pod\nspec:\n  containers: []\n...\n# after the end marker\n---\n# second\nkind: Pod\nspec:\n  containers: []\n# trailing\n';
  const input = parseInput(text, 'x');
  const value = { kind: 'Pod', spec: { containers: [{ name: 'p' }] } };
  const edit = addEdit(value, [], [{ op: 'add', path: '/spec/containers/-', value: { name: 'p' } }]);
  for (const index of [1, 2]) {
    const out = input.render(new Map([[index, edit]]));
    for (const comment of ['# before the first', '# after the end marker', '# second', '# trailing']) {
      t.equal(out.split(comment).length - 1, 1, `document ${index} edited: ${comment} once`);
    }
    t.ok(out.startsWith('\uFEFF'), 'the byte order mark stays');
    t.same(parseInput(out, 'x').documents.map((d) => d.value), index === 1 ? [value, input.documents[1].value] : [input.documents[0].value, value]);
  }
});

t.test('render keeps %YAML directives once', async (t) => {
  const input = parseInput('%YAML 1.1\n---\nkind: Pod\nspec: {containers: []}\n', 'x');
  const value = { kind: 'Pod', spec: { containers: [{ name: 'p' }] } };
  const out = input.render(new Map([[1, addEdit(value, [], [{ op: 'add', path: '/spec/containers/-', value: { name: 'p' } }])]]));
  t.equal((out.match(/%YAML/g) ?? []).length, 1, out);
  t.same(parseInput(out, 'x').documents[0].value, value);
});

t.test('render of JSON keeps the style of each value', async (t) => {
  const text = '{"kind":"Pod","spec":{}}\n{\n    "kind": "Pod",\n    "spec": {}\n}\n';
  const input = parseInput(text, 'x');
  const edits = new Map([
    [1, addEdit({ kind: 'Pod', spec: { a: 1 } }, [], [])],
    [2, addEdit({ kind: 'Pod', spec: { b: 2 } }, [], [])],
  ]);
  t.equal(input.render(edits), '{"kind":"Pod","spec":{"a":1}}\n{\n    "kind": "Pod",\n    "spec": {\n        "b": 2\n    }\n}\n');
});

const TEMPLATE = { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } };

t.test('locates pods and pod templates of every workload kind', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['v1', 'Pod', ''],
    ['v1', 'ReplicationController', '/spec/template'],
    ['apps/v1', 'Deployment', '/spec/template'],
    ['extensions/v1beta1', 'Deployment', '/spec/template'],
    ['apps/v1', 'ReplicaSet', '/spec/template'],
    ['apps/v1', 'DaemonSet', '/spec/template'],
    ['apps/v1', 'StatefulSet', '/spec/template'],
    ['batch/v1', 'Job', '/spec/template'],
    ['batch/v1', 'CronJob', '/spec/jobTemplate/spec/template'],
  ];
  t.same([...new Set(cases.map((c) => c[1]))].sort(), [...POD_KINDS].sort(), 'the table covers every kind');
  for (const [apiVersion, kind, pointer] of cases) {
    const object: any = { apiVersion, kind, metadata: { name: 'w', namespace: 'shop' } };
    if (kind === 'Pod') Object.assign(object, TEMPLATE, { metadata: { ...TEMPLATE.metadata, name: 'w', namespace: 'shop' } });
    else if (kind === 'CronJob') object.spec = { schedule: '* * * * *', jobTemplate: { spec: { template: TEMPLATE } } };
    else object.spec = { replicas: 1, template: TEMPLATE };
    const sites = locatePods({ index: 3, value: object }, 'f.yaml');
    t.equal(sites.length, 1, kind);
    t.equal(pointerOf(sites[0].path), pointer, `${kind} pointer`);
    t.same(sites[0].object, { apiVersion, kind, name: 'w', namespace: 'shop' });
    t.equal(sites[0].pod.spec?.containers[0].name, 'app');
    t.equal(describeSite(sites[0]), `f.yaml: document 3 (${kind}/w)`);
  }
});

t.test('namespace defaults to "default"; Lists are walked in order', async (t) => {
  const list = {
    apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { generateName: 'd-' }, spec: { template: TEMPLATE } },
      { apiVersion: 'v1', kind: 'PodList', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'x' }, spec: TEMPLATE.spec }] },
    ],
  };
  const sites = locatePods({ index: 1, value: list }, 'l.json');
  t.same(sites.map((s) => pointerOf(s.path)), ['/items/1/spec/template', '/items/2/items/0']);
  t.same(sites.map((s) => s.object.namespace), ['default', 'x']);
  t.equal(describeSite(sites[0]), 'l.json: document 1 at /items/1 (Deployment/d-*)');
});

t.test('other kinds, and known kinds of other API groups, pass through', async (t) => {
  const values = [
    null,
    { apiVersion: 'v1', kind: 'Service', spec: { template: TEMPLATE } },
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', spec: { template: TEMPLATE } },
    { apiVersion: 'example.com/v1', kind: 'Deployment', spec: { template: TEMPLATE } },
    { apiVersion: 'v1', kind: 'EventList', items: [] },
  ];
  for (const value of values) t.same(locatePods({ index: 1, value }, 'f'), [], JSON.stringify(value));
});

t.test('objects that are not Kubernetes objects are errors naming document and field', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [[1, 2], /^f: document 2: expected a Kubernetes object .* got a list/],
    ['text', /^f: document 2: expected a Kubernetes object .* got a string/],
    [{ apiVersion: 'v1', metadata: {} }, /^f: document 2: field kind: missing/],
    [{ kind: 'List', items: 'x' }, /^f: document 2: field items: expected a list/],
    [{ kind: 'List', items: [{ kind: 'Pod', spec: {} }, { noKind: true }] }, /^f: document 2 at \/items\/1: field kind: missing/],
    [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: {} },
      /^f: document 2 \(Deployment\/d\): field spec\.template: expected a pod template .* got null/],
    [{ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template: [] } } } },
      /field spec\.jobTemplate\.spec\.template: expected a pod template .* got a list/],
  ];
  for (const [value, message] of cases) {
    t.throws(() => locatePods({ index: 2, value }, 'f'), { name: 'InputError', message }, JSON.stringify(value));
  }
});

t.test('what render writes is what it was given (property: any pod edit)', async (t) => {
  // The written text parses back to the edit's value for each example layout.
  const layouts = [
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: app\n',
    'apiVersion: v1\nkind: Pod\nmetadata: {name: a, annotations: {x: "1"}}\nspec: {containers: [{name: app}], volumes: []}\n',
  ];
  for (const text of layouts) {
    const input = parseInput(text, 'x');
    const value = parse(text);
    value.metadata.annotations = { ...(value.metadata.annotations ?? {}), 'sidecar-injector.io/status': '{"a":1}' };
    value.spec.containers.push({ name: 'proxy' });
    const patch: PatchOperation[] = [
      text.includes('annotations')
        ? { op: 'add', path: '/metadata/annotations/sidecar-injector.io~1status', value: '{"a":1}' }
        : { op: 'add', path: '/metadata/annotations', value: { 'sidecar-injector.io/status': '{"a":1}' } },
      { op: 'add', path: '/spec/containers/-', value: { name: 'proxy' } },
    ];
    const out = input.render(new Map([[1, addEdit(value, [], patch)]]));
    t.same(parse(out), value, out);
    t.notMatch(out, /[&*]a\d/, 'no anchors or aliases are introduced');
  }
});
