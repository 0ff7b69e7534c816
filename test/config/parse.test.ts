// The bounds on configuration YAML: each refused with the file (and field) named, before
// or without the YAML library's costly paths; real files pass.
import t from 'tap';
import { checkSizes, CONFIG_LIMITS, parseConfigYaml } from '../../src/config/parse.js';
import { compileSnapshot } from '../../src/config/compile.js';
import { flowDepth, yamlShape, yamlShapeProblem } from '../../src/injection/yaml-shape.js';
import { readConfigFiles } from '../support/config.js';

t.test('the built-in files are well within the bounds', async (t) => {
  for (const [file, text] of Object.entries(readConfigFiles())) {
    t.ok(parseConfigYaml(file, text), file);
    t.ok(flowDepth(text) <= 8, `${file}: flow depth ${flowDepth(text)}`);
  }
});

const refused: Array<[string, string, RegExp]> = [
  ['deep flow', `a: ${'['.repeat(100)}${']'.repeat(100)}`, /^x\.yaml: '\[' and '\{' nested 100 deep; at most 64/],
  ['deep compact block list', `${'- '.repeat(200)}x`, /^x\.yaml: a line is indented or nested 400 columns deep; at most 256/],
  ['a mapping of 1,001 keys', `values:\n${Array.from({ length: 1001 }, (_, i) => `  k${i}: v`).join('\n')}`, /^x\.yaml: values: a mapping or list with more than 1000 entries/],
  ['a flow mapping of 1,001 keys', `values: {${Array.from({ length: 1001 }, (_, i) => `k${i}: v`).join(', ')}}`, /^x\.yaml: values: a mapping with 1001 keys; at most 1000/],
  ['a flow list of 1,001 entries', `a:\n  b: [${Array.from({ length: 1001 }, (_, i) => i).join(', ')}]`, /^x\.yaml: a\.b: a list with 1001 entries/],
  ['duplicate keys', 'a:\n  b: 1\n  b: 2\n', /^x\.yaml: a: duplicate key "b"/],
  ['syntax', 'a: [', /^x\.yaml: invalid YAML/],
  ['too many aliases', `a: &x 1\nb: [${Array.from({ length: 101 }, () => '*x').join(', ')}]`, /^x\.yaml: b\[100\]: more than 100 aliases/],
  ['too many lines for the node limit', '\n'.repeat(2 * CONFIG_LIMITS.maxNodes + 1), /^x\.yaml: 100001 lines and flow entries/],
];
for (const [name, text, message] of refused) {
  t.test(`refused: ${name}`, async (t) => {
    t.throws(() => parseConfigYaml('x.yaml', text), { name: 'ConfigError', message });
  });
}

t.test('a billion-laughs config is refused naming the file and the field', async (t) => {
  const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const next = String.fromCharCode(97 + i);
    laughs.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const files = { ...readConfigFiles(), 'config.yaml': `values:\n${laughs.map((l) => `  ${l}`).join('\n')}\n` };
  t.throws(() => compileSnapshot(files), { message: /^config\.yaml: values\.b\[0\]: .*aliases may expand to at most 100 copies/ });
});

t.test('sizes are checked per file and in all', async (t) => {
  const big = 'x'.repeat(CONFIG_LIMITS.maxFileBytes + 1);
  t.throws(() => checkSizes({ 'a.template.yaml': big }, ['a.template.yaml']), { message: /^a\.template\.yaml: 524289 bytes; at most 524288 bytes per file/ });
  const half = 'x'.repeat(CONFIG_LIMITS.maxFileBytes);
  const files = { 'config.yaml': half, 'a.template.yaml': half, 'b.template.yaml': 'x' };
  t.throws(() => checkSizes(files, Object.keys(files)), { message: /^the configuration is 1048577 bytes in all; at most 1048576/ });
  t.throws(() => compileSnapshot({ 'config.yaml': 'x'.repeat(13_000_000) }), { message: /^config\.yaml: 13000000 bytes/ });
});

t.test('the pre-scan over-counts but never under-counts nesting', async (t) => {
  t.equal(flowDepth('a: "[[[[" # [[[[\nb: \'[[\'\'[[\''), 0, 'quoted and commented brackets do not count');
  t.equal(flowDepth('a: [ "]" [ "]" [ x ] ] ]'), 3, 'a bracket in quotes does not close');
  t.equal(flowDepth("a: don't [ [ x ] ]"), 2, 'an apostrophe inside a word is no quote');
  t.same(yamlShape('- - x\n  a: {b: [1, 2]}\n'), { flowOpeners: 2, entries: 5, indent: 4 });
  t.match(yamlShapeProblem('['.repeat(65), { maxFlowOpeners: 64, maxEntries: 1000, maxIndent: 100 }), /65 '\[' and '\{'; at most 64 flow collections/);
  t.match(yamlShapeProblem('- '.repeat(60), { maxFlowOpeners: 64, maxEntries: 1000, maxIndent: 100 }), /120 columns deep; at most 100/);
  t.match(yamlShapeProblem('a,'.repeat(600), { maxFlowOpeners: 64, maxEntries: 512, maxIndent: 100 }), /600 entries .*at most 512/);
  t.equal(yamlShapeProblem('holdApplicationUntilProxyStarts: true', { maxFlowOpeners: 64, maxEntries: 512, maxIndent: 128 }), undefined);
});
