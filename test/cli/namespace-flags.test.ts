import t from 'tap';
import { FlagValueError, parseKeyValueFlag, parseNamespaceFlags } from '../../src/cli/namespace-flags.js';

t.test('parses key=value lists', async (t) => {
  const cases: Array<[string | undefined, Record<string, string>]> = [
    [undefined, {}],
    ['', {}],
    ['  ', {}],
    ['sidecar-injection=enabled', { 'sidecar-injection': 'enabled' }],
    ['a=1,b=2', { a: '1', b: '2' }],
    ['a=1, b=2', { a: '1', b: '2' }],
    ['a=', { a: '' }],
    ['example.com/team=payments', { 'example.com/team': 'payments' }],
    // A part without "=" continues the previous value: values may hold commas.
    ['sidecar-injector.io/templates=sidecar,extra', { 'sidecar-injector.io/templates': 'sidecar,extra' }],
    ['x=a=b', { x: 'a=b' }],
  ];
  for (const [text, expected] of cases) t.same(parseKeyValueFlag('--f', text), expected, String(text));
});

t.test('rejects what Kubernetes would not accept, naming the flag', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['enabled', /--f: "enabled" has no "="/],
    ['=x', /--f: "" is not a valid key/],
    ['-a=x', /"-a" is not a valid key/],
    ['Bad_Prefix/a=x', /prefix "Bad_Prefix" is not a DNS subdomain/],
    [`${'a'.repeat(64)}=x`, /is not a valid key/],
    ['a=1,a=2', /key "a" is given twice/],
  ];
  for (const [text, message] of cases) {
    t.throws(() => parseKeyValueFlag('--f', text), { name: 'FlagValueError', message }, text);
  }
});

t.test('label values must be label values; annotation values may be anything', async (t) => {
  t.same(parseNamespaceFlags({ 'namespace-labels': 'sidecar-injection=enabled,team=a.b_c-d' }).labels,
    { 'sidecar-injection': 'enabled', team: 'a.b_c-d' });
  t.throws(() => parseNamespaceFlags({ 'namespace-labels': 'team=a,b' }),
    { message: /--namespace-labels: the value of "team" \("a,b"\) is not a valid label value/ });
  t.throws(() => parseNamespaceFlags({ 'namespace-labels': `x=${'v'.repeat(64)}` }), FlagValueError);
  t.same(parseNamespaceFlags({ 'namespace-annotations': 'sidecar-injector.io/proxy-cpu=300m,note=a b, c' }).annotations,
    { 'sidecar-injector.io/proxy-cpu': '300m', note: 'a b, c' });
  const err = t.throws(() => parseNamespaceFlags({ 'namespace-annotations': 'oops' })) as FlagValueError;
  t.equal(err.exitCode, 2);
  t.match(err.message, /^--namespace-annotations: /);
});
