// The config compiler: every field validated, errors name the file and field.
import t from 'tap';
import { compileSnapshot, ConfigError } from '../../src/config/compile.js';
import { configFiles, readConfigFiles } from '../support/config.js';

t.test('the built-in config compiles, frozen, with the own namespace ignored', async (t) => {
  const s = compileSnapshot(readConfigFiles(), { ownNamespace: 'mesh-system' });
  t.equal(s.policy, 'enabled');
  t.same(s.defaultTemplates, ['sidecar']);
  t.same([...s.ignoredNamespaces].sort(), ['kube-node-lease', 'kube-public', 'kube-system', 'mesh-system']);
  t.equal(s.compat.istio, true);
  t.match(s.revision, /^[0-9a-f]{12}$/);
  t.ok(Object.isFrozen(s.values) && Object.isFrozen((s.values as { proxy: object }).proxy), 'values are deep-frozen');
  t.ok(s.templates.has('sidecar'));
});

t.test('the revision follows the content, not the order of keys', async (t) => {
  const files = readConfigFiles();
  const reversed = Object.fromEntries(Object.entries(files).reverse());
  t.equal(compileSnapshot(files).revision, compileSnapshot(reversed).revision);
  const changed = { ...files, 'config.yaml': files['config.yaml'] + '\n# a comment\n' };
  t.not(compileSnapshot(files).revision, compileSnapshot(changed).revision);
});

t.test('files other than config.yaml and *.template.yaml are ignored', async (t) => {
  const files = { ...readConfigFiles(), 'kustomization.yaml': 'not: [valid', 'README.md': '# hi' };
  t.ok(compileSnapshot(files));
});

const bad: Array<[string, Record<string, string>, RegExp]> = [
  ['missing config.yaml', { 'sidecar.template.yaml': '{}' }, /^config\.yaml: missing/],
  ['YAML syntax error', { ...readConfigFiles(), 'config.yaml': 'policy: [enabled' }, /^config\.yaml: invalid YAML/],
  ['duplicate keys', { ...readConfigFiles(), 'config.yaml': 'policy: enabled\npolicy: disabled\n' }, /^config\.yaml: \(top level\): duplicate key "policy"/],
  ['top level not a mapping', { ...readConfigFiles(), 'config.yaml': '- a\n' }, /config\.yaml: expected a mapping/],
  ['unknown field', configFiles({ polcy: 'enabled' }), /config\.yaml: polcy: unknown field; accepted: policy, defaultTemplates/],
  ['bad policy', configFiles({ policy: 'on' }), /config\.yaml: policy: must be "enabled" or "disabled", got "on"/],
  ['bad compat', configFiles({ compat: { istio: 'yes' } }), /config\.yaml: compat: expected \{istio: true\|false\}/],
  ['values not a mapping', { ...readConfigFiles(), 'config.yaml': 'values: [a]\n' }, /config\.yaml: values: expected a mapping/],
  ['unknown default template', configFiles({ defaultTemplates: ['sidecar', 'nope'] }), /config\.yaml: defaultTemplates: no template "nope" \(known: sidecar\)/],
  ['ignoredNamespaces not strings', configFiles({ ignoredNamespaces: [1] }), /config\.yaml: ignoredNamespaces: expected a list of non-empty strings/],
  ['injectedAnnotations not strings', configFiles({ injectedAnnotations: { a: 1 } }), /config\.yaml: injectedAnnotations: expected a mapping of string keys to string values/],
  ['selector not a list', configFiles({ neverInjectSelector: { matchLabels: { a: 'b' } } }), /neverInjectSelector: expected a list of label selectors/],
  ['selector unknown field', configFiles({ neverInjectSelector: [{ matchLabel: { a: 'b' } }] }), /neverInjectSelector\[0\]: unknown field "matchLabel"/],
  ['selector bad operator', configFiles({ alwaysInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }] }), /alwaysInjectSelector\[0\]\.matchExpressions\[0\]\.operator: operator must be one of In, NotIn, Exists, DoesNotExist/],
  ['In without values', configFiles({ alwaysInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'In' }] }] }), /In needs a non-empty values list/],
  ['Exists with values', configFiles({ alwaysInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }] }), /Exists takes no values/],
  ['expression without key', configFiles({ alwaysInjectSelector: [{ matchExpressions: [{ operator: 'Exists' }] }] }), /expected \{key, operator, values\}/],
  ['invalid default setting', configFiles({ values: { proxy: { image: 'bad image' } } }), /config\.yaml: values: .*proxy/],
  ['bad template name', { ...readConfigFiles(), 'Bad_Name.template.yaml': '{}' }, /Bad_Name\.template\.yaml: template name "Bad_Name"/],
  ['template YAML error', { ...readConfigFiles(), 'x.template.yaml': 'containers: [' }, /^x\.template\.yaml: invalid YAML/],
  ['template renders an unknown field', { ...readConfigFiles(), 'x.template.yaml': 'sidecars: []' }, /^x\.template\.yaml: sidecars: unknown field; a template renders to containers/],
  ['template container without a name', { ...readConfigFiles(), 'x.template.yaml': 'containers: [{image: a}]' }, /^x\.template\.yaml: containers\[0\]\.name: must be a DNS label/],
  ['template pull secret with an empty name', { ...readConfigFiles(), 'x.template.yaml': "imagePullSecrets: [{name: ''}]" }, /^x\.template\.yaml: imagePullSecrets\[0\]\.name: must be a Secret's name \(1 to 253 characters\), got ""$/],
  ['template pull secret name too long', { ...readConfigFiles(), 'x.template.yaml': `imagePullSecrets: [{name: ${'s'.repeat(254)}}]` }, /imagePullSecrets\[0\]\.name: must be a Secret's name \(1 to 253 characters\), got "s{64}"… \(254 characters\)$/],
  ['template pull secret name not a string', { ...readConfigFiles(), 'x.template.yaml': 'imagePullSecrets: [{name: 7}]' }, /imagePullSecrets\[0\]\.name: must be a Secret's name \(1 to 253 characters\), got 7$/],
  ['template annotation not a string', { ...readConfigFiles(), 'x.template.yaml': 'annotations: {a: 1}' }, /^x\.template\.yaml: annotations\.a: must be a string/],
  ['template list not a list', { ...readConfigFiles(), 'x.template.yaml': 'volumes: {name: v}' }, /^x\.template\.yaml: volumes: must be a list/],
  ['template item not a mapping', { ...readConfigFiles(), 'x.template.yaml': 'volumes: [v]' }, /^x\.template\.yaml: volumes\[0\]: must be a mapping/],
  ['template renders a scalar', { ...readConfigFiles(), 'x.template.yaml': '"just text"' }, /^x\.template\.yaml: \(root\): must render to a mapping/],
  ['template fails to render', { ...readConfigFiles(), 'x.template.yaml': "containers: [{$eval: 'nothing.here'}]" }, /^x\.template\.yaml: \(render\): /],
];

for (const [name, files, message] of bad) {
  t.test(`rejected: ${name}`, async (t) => {
    t.throws(() => compileSnapshot(files), ConfigError);
    try {
      compileSnapshot(files);
    } catch (err) {
      t.match((err as Error).message, message);
    }
  });
}

t.test('a template branch the defaults never take is still checked', async (t) => {
  const files = { ...readConfigFiles(), 'x.template.yaml': "containers:\n  - $if: 'settings.nativeSidecar'\n    then: {$eval: 'nothing.here'}\n    else: {name: x, image: x}\n" };
  t.throws(() => compileSnapshot(files), { message: /x\.template\.yaml: \(render\): .*\(with settings\.nativeSidecar=true\)/ });
});

t.test('a pull secret may have any name a Secret reference can carry (the apiserver does not check it; Istio passes it on)', async (t) => {
  for (const name of ['barSecret', 'registry.example.com-creds', 's'.repeat(253)]) {
    const snapshot = compileSnapshot({ ...readConfigFiles(), 'x.template.yaml': `imagePullSecrets: [{name: ${JSON.stringify(name)}}]` });
    t.ok(snapshot.templates.has('x'), name.slice(0, 40));
  }
});
