// Validators, table-driven. Accepting and refusing cases follow the Go code Istio and
// Kubernetes use (netip.ParsePrefix, strconv.ParseUint/ParseBool, resource.ParseQuantity,
// distribution/reference); the CIDR, port and bool parsers were also compared against Go
// on 200k generated inputs while being written.
import t from 'tap';
import fc from 'fast-check';
import { parseCidrs, parseCidrsOrStar, prefixProblem } from '../../src/injection/cidr-parse.js';
import { parseProxyConfigHold } from '../../src/injection/proxy-config-parse.js';
import { parseQuantity } from '../../src/injection/quantity.js';
import {
  goTrimSpace, parseGoBool, parseImage, parseInterceptionMode, parseIstioPorts, parseIstioPortsOrStar,
  parseLogLevel, parseNativeBool, parsePorts, parsePortsOrStar, parseTemplateNames, quote,
  type Parsed,
} from '../../src/injection/value-parsers.js';

function value<T>(r: Parsed<T>): T {
  if (!r.ok) throw new Error(`expected ok, got: ${r.expected}`);
  return r.value;
}

function expected(r: Parsed<unknown>): string {
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.value)}`);
  return r.expected;
}

t.test('quote shows control characters and cuts long values', async (t) => {
  t.equal(quote('a"b\nc'), '"a\\"b\\nc"');
  t.equal(quote('${x}'), '"${x}"');
  const long = 'x'.repeat(1 << 20);
  const shown = quote(long);
  t.ok(shown.length < 200, 'a 1 MB value is shown short');
  t.match(shown, /… \(1048576 characters\)$/);
  t.equal(quote(42), '"42"');
});

t.test('goTrimSpace trims what Go trims', async (t) => {
  t.equal(goTrimSpace(' \t\n\v\f\r\u0085\u00a0 80 \u3000'), '80');
  t.equal(goTrimSpace('\ufeff80'), '\ufeff80', 'U+FEFF is not space to Go');
  t.equal(goTrimSpace('8 0'), '8 0');
});

t.test('quantities', async (t) => {
  const valid = [
    '0', '1', '100m', '0.5', '.5', '1.', '+1', '2', '1500m', '128Mi', '1Gi', '1Ki', '1Ei', '1n', '1u', '1k', '1M',
    '1G', '1T', '1P', '1E', '1e3', '1E3', '1e+3', '1e-3', '1.5Gi', '007', '9'.repeat(40), '1e9223372036854775807',
    '1e-9223372036854775808',
  ];
  for (const q of valid) t.equal(value(parseQuantity(q, '100m or 0.5')), q, `accepts ${q}`);
  const invalid = [
    '', 'lots', '1XB', '-', '+', '.', '+.', '12 Mi', ' 1', '1 ', '1K', '1ki', '1mi', '1e', '1e3.5', '1.5.5', '1Mii',
    'm', '0x10', '1_000', '１', '1e99999999999999999999', '1\n', 'Infinity', 'NaN',
  ];
  for (const q of invalid) t.equal(expected(parseQuantity(q, '100m or 0.5')).startsWith('a Kubernetes quantity such as 100m or 0.5'), true, `refuses ${JSON.stringify(q)}`);
  t.equal(expected(parseQuantity('-1', '100m or 0.5')), 'a non-negative Kubernetes quantity such as 100m or 0.5');
  t.equal(expected(parseQuantity('-100m', '128Mi or 1Gi')), 'a non-negative Kubernetes quantity such as 128Mi or 1Gi');
  t.match(expected(parseQuantity('1e9223372036854775808', 'x')), /exponent is out of range/);
});

t.test('image references', async (t) => {
  const valid = [
    'envoy', 'envoyproxy/envoy', 'docker.io/envoyproxy/envoy:v1.36.2', 'registry.example.com/envoy:v1.36.2',
    'localhost:5000/envoy', 'localhost/envoy:latest', '[::1]:5000/envoy', '[fd00::1]/a/b/c:tag',
    'Registry.Example.COM/a', 'a/b__c/d-e/f.g', 'a---b', '10.0.0.1:443/img:1.0',
    `envoy@sha256:${'a'.repeat(64)}`, `envoy:v1@sha256:${'a'.repeat(64)}`, `e@sha512:${'F'.repeat(128)}`,
    `x:${'t'.repeat(128)}`, `${'a'.repeat(255)}`,
  ];
  for (const image of valid) t.equal(value(parseImage(image)), image, `accepts ${image}`);
  const invalid: Array<[string, RegExp]> = [
    ['', /^an image reference/],
    ['envoy proxy:latest', /without whitespace or control characters/],
    ['envoy\n', /without whitespace or control characters/],
    ['envoy\u0000', /without whitespace or control characters/],
    ['envoy\u0085', /without whitespace or control characters/],
    ['Envoy', /must be lowercase/],
    ['docker.io/Envoy:v1', /must be lowercase/],
    ['envoy:', /^an image reference/],
    [':tag', /^an image reference/],
    ['envoy:-tag', /^an image reference/],
    [`x:${'t'.repeat(129)}`, /^an image reference/],
    ['envoy@sha256:abc', /^an image reference/],
    ['a//b', /^an image reference/],
    ['a_-b', /^an image reference/],
    ['a___b', /^an image reference/],
    ['-a', /^an image reference/],
    ['a/', /^an image reference/],
    ['https://docker.io/envoy', /^an image reference/],
    ['envoy:${x}', /^an image reference/],
    ['{"$eval": "x"}', /without whitespace/],
    ['é', /^an image reference/],
    ['a'.repeat(64).replace(/a/g, 'f'), /hex image ID/],
    [`${'a'.repeat(256)}`, /at most 255 characters/],
    ['a'.repeat(1 << 20), /at most 1024 characters/],
  ];
  for (const [image, why] of invalid) t.match(expected(parseImage(image)), why, `refuses ${quote(image, 30)}`);
});

t.test('the image pattern does not backtrack badly on hostile input near the length cap', async (t) => {
  // Each of these makes a naive pattern (empty separators, nested repeats) take forever.
  const hostile = ['a'.repeat(1000) + '!', 'a-'.repeat(500) + '!', 'a.'.repeat(500) + '/!', `${'a'.repeat(500)}:${'b'.repeat(400)}!`, `a/${'a_'.repeat(499)}`];
  for (const image of hostile) t.notOk(parseImage(image).ok, `refuses ${quote(image, 20)}`);
});

t.test('enums are exact', async (t) => {
  for (const level of ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off']) t.equal(value(parseLogLevel(level)), level);
  for (const level of ['warn', 'INFO', 'verbose', '', ' info']) t.equal(expected(parseLogLevel(level)), 'one of trace, debug, info, warning, error, critical, off');
  for (const mode of ['REDIRECT', 'TPROXY', 'NONE']) t.equal(value(parseInterceptionMode(mode)), mode);
  for (const mode of ['redirect', 'Tproxy', 'BOGUS', '']) t.equal(expected(parseInterceptionMode(mode)), 'one of REDIRECT, TPROXY, NONE');
});

t.test('booleans', async (t) => {
  t.equal(value(parseNativeBool('true')), true);
  t.equal(value(parseNativeBool('false')), false);
  for (const v of ['True', '1', 'yes', 'on', '', ' true']) t.equal(expected(parseNativeBool(v)), '"true" or "false"', `native refuses ${v}`);
  for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) t.equal(value(parseGoBool(v)), true, `Go bool ${v}`);
  for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) t.equal(value(parseGoBool(v)), false, `Go bool ${v}`);
  for (const v of ['tRue', 'yes', 'on', 'maybe', '', ' true', '2']) t.match(expected(parseGoBool(v)), /^a boolean: true or false/, `Go bool refuses ${v}`);
});

t.test('port lists', async (t) => {
  const cases: Array<[string, number[] | '*']> = [
    ['', []], ['   ', []], ['80', [80]], ['8080,9090', [8080, 9090]], [' 80 , 90 ', [80, 90]], ['80,\n90', [80, 90]],
    ['0080', [80]], ['65535', [65535]], ['1', [1]], ['80,80', [80, 80]], [`${'0'.repeat(1000)}443`, [443]],
  ];
  for (const [raw, want] of cases) {
    t.same(value(parsePorts(raw)), want, `native ${JSON.stringify(raw)}`);
    t.same(value(parseIstioPorts(raw)), want, `istio ${JSON.stringify(raw)}`);
  }
  t.equal(value(parsePortsOrStar('*')), '*');
  t.equal(value(parseIstioPortsOrStar('*')), '*');
  t.match(expected(parsePorts('*')), /\("\*" is not a port number\)/, 'no "*" for exclude lists');
  t.match(expected(parsePortsOrStar(' * ')), /is not a port number/, 'only an exact "*"');
  t.same(value(parseIstioPorts('0')), [0], 'Istio accepts port 0');
  t.match(expected(parsePorts('0')), /^comma-separated ports 1-65535 such as 8080,9090 \("0" is out of range\)$/);
  t.match(expected(parsePorts('70000')), /"70000" is out of range/);
  t.match(expected(parseIstioPorts('65536')), /^comma-separated ports 0-65535 .*"65536" is out of range/);
  t.match(expected(parsePorts('80,,90')), /an entry is empty/);
  t.match(expected(parsePorts('80,')), /an entry is empty/);
  t.match(expected(parsePortsOrStar('80,http')), /^"\*" or comma-separated ports 1-65535 such as 8080,9090 \("http" is not a port number\)$/);
  for (const raw of ['+80', '-1', '8 0', '0x50', '80.0', '1e3', '８０', '${port}']) t.notOk(parseIstioPorts(raw).ok, `refuses ${raw}`);
  t.match(expected(parsePorts('1'.repeat(5000))), /"1{40}"… \(5000 characters\) is out of range/, 'a huge entry is shown cut');
});

t.test('port lists: every list of valid ports, written with any spacing, parses back', async (t) => {
  const space = fc.constantFrom('', ' ', '\t', '  ');
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 65535 }), space, space), { minLength: 1, maxLength: 20 }), (entries) => {
    const raw = entries.map(([p, a, b]) => `${a}${p}${b}`).join(',');
    const parsed = parsePorts(raw);
    return parsed.ok && JSON.stringify(parsed.value) === JSON.stringify(entries.map(([p]) => p));
  })));
});

t.test('prefixes (Go netip.ParsePrefix)', async (t) => {
  const valid = [
    '0.0.0.0/0', '10.0.0.0/8', '10.1.2.3/8', '255.255.255.255/32', '169.254.169.254/32', '::/0', '::1/128', 'fd00::/8',
    '2001:db8::/32', '1:2:3:4:5:6:7:8/64', '::ffff:1.2.3.4/96', '1:2:3:4:5:6:1.2.3.4/128', '::1.2.3.4/120',
    'FD00::/8', '1::/16', '0:0:0:0:0:0:0:0/0',
  ];
  for (const p of valid) t.equal(prefixProblem(p), undefined, `accepts ${p}`);
  const invalid: Array<[string, string]> = [
    ['10.0.0.0', "no '/'"],
    ['10.0.0.0/33', 'prefix length out of range'],
    ['::/129', 'prefix length out of range'],
    ['10.0.0.0/08', 'bad bits after slash'],
    ['10.0.0.0/+8', 'bad bits after slash'],
    ['10.0.0.0/-1', 'bad bits after slash'],
    ['10.0.0.0/', 'bad bits after slash'],
    ['10.0.0.0/ 8', 'bad bits after slash'],
    [' 10.0.0.0/8', 'unexpected character'],
    ['010.0.0.0/8', 'IPv4 field has octet with leading zero'],
    ['300.0.0.0/8', 'IPv4 field has value >255'],
    ['1.2.3/8', 'IPv4 address too short'],
    ['1.2.3.4.5/8', 'IPv4 address too long'],
    ['1..2.3/8', 'IPv4 field must have at least one digit'],
    ['not-a-cidr/8', 'unable to parse IP'],
    ['/8', 'unable to parse IP'],
    ['%eth0/8', 'missing IPv6 address'],
    ['fe80::1%eth0/64', 'IPv6 zones cannot be present in a prefix'],
    ['1::2::3/64', 'multiple :: in address'],
    ['12345::/16', 'each group must have 4 or less digits'],
    ['00001::/16', 'each group must have 4 or less digits'],
    ['1:2:3:4:5:6:7/64', 'address string too short'],
    ['1:2:3:4:5:6:7:8:9/64', 'trailing garbage after address'],
    ['1:2:3:4:5:6:7:8::/64', 'the :: must expand to at least one field of zeros'],
    ['1:2:3:4::5:6:7:8/64', 'the :: must expand to at least one field of zeros'],
    ['1:2:3:4:5:1.2.3.4/64', 'embedded IPv4 address must replace the final 2 fields of the address'],
    ['1:2:3:4:5:6:7:1.2.3.4/64', 'embedded IPv4 address must replace the final 2 fields of the address'],
    ['::1:2:3:4:5:6:7:1.2.3.4/64', 'too many hex fields to fit an embedded IPv4 at the end of the address'],
    ['1:/64', 'colon must be followed by more characters'],
    ['1:2g::/64', 'unexpected character, want colon'],
    [':1::/64', 'each colon-separated field must have at least one digit'],
  ];
  for (const [p, why] of invalid) t.equal(prefixProblem(p), why, `refuses ${p}`);
});

t.test('prefixes: every generated IPv4 prefix is accepted exactly when Go would', async (t) => {
  const octet = fc.integer({ min: 0, max: 300 });
  t.doesNotThrow(() => fc.assert(fc.property(fc.tuple(octet, octet, octet, octet, fc.integer({ min: 0, max: 40 })), ([a, b, c, d, bits]) => {
    const ok = [a, b, c, d].every((o) => o <= 255) && bits <= 32;
    return (prefixProblem(`${a}.${b}.${c}.${d}/${bits}`) === undefined) === ok;
  })));
});

t.test('prefixes: arbitrary text never throws', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => {
    const problem = prefixProblem(s);
    return problem === undefined || typeof problem === 'string';
  })));
});

t.test('CIDR lists', async (t) => {
  t.same(value(parseCidrs('')), []);
  t.same(value(parseCidrs('10.0.0.0/8,fd00::/8')), ['10.0.0.0/8', 'fd00::/8']);
  t.equal(value(parseCidrsOrStar('*')), '*');
  t.match(expected(parseCidrs('*')), /\("\*": no '\/'\)/);
  t.match(expected(parseCidrs('10.0.0.0/8, 10.1.0.0/16')), /" 10\.1\.0\.0\/16": unexpected character/, 'no spaces, as Istio');
  t.match(expected(parseCidrs('10.0.0.0/8,')), /"": no '\/'/, 'no empty entry');
  t.match(expected(parseCidrs(' ')), /^comma-separated CIDRs such as 10\.0\.0\.0\/8,fd00::\/8 \(" ": no '\/'\)$/);
  t.match(expected(parseCidrsOrStar('10.0.0.0/33')), /^"\*" or comma-separated CIDRs/);
});

t.test('template names', async (t) => {
  const known = new Map([['sidecar', {}], ['extra', {}]]);
  t.same(value(parseTemplateNames('sidecar', known)), ['sidecar']);
  t.same(value(parseTemplateNames(' extra , sidecar ', known)), ['extra', 'sidecar'], 'trimmed, order kept');
  t.equal(expected(parseTemplateNames('sidecar,missing', known)), 'comma-separated template names from: sidecar, extra (no template "missing")');
  t.match(expected(parseTemplateNames('sidecar,', known)), /an entry is empty/);
  t.match(expected(parseTemplateNames('', known)), /an entry is empty/);
  t.same(value(parseTemplateNames('sidecar, extra,sidecar,sidecar', known)), ['sidecar', 'extra'], 'a name listed again is rendered once, where it first appears (as Istio renders it)');
  t.match(expected(parseTemplateNames('x', new Map())), /from: \(none\)/);
  t.match(expected(parseTemplateNames('__proto__', known)), /no template "__proto__"/);
});

t.test('proxy.istio.io/config holdApplicationUntilProxyStarts', async (t) => {
  const cases: Array<[string, boolean | undefined]> = [
    ['{holdApplicationUntilProxyStarts: true}', true],
    ['{"holdApplicationUntilProxyStarts": false}', false],
    ['holdApplicationUntilProxyStarts: true\nconcurrency: 2', true],
    ['hold_application_until_proxy_starts: true', true],
    ['holdApplicationUntilProxyStarts: yes', true],
    ['holdApplicationUntilProxyStarts: off', false],
    ['holdApplicationUntilProxyStarts: null', undefined],
    ['holdApplicationUntilProxyStarts:', undefined],
    ['{concurrency: 2, unknownField: {a: b}}', undefined],
    ['{}', undefined],
    ['x: !custom tag\nholdApplicationUntilProxyStarts: true', true],
  ];
  for (const [raw, want] of cases) t.equal(value(parseProxyConfigHold(raw)), want, JSON.stringify(raw));
  const refused: Array<[string, RegExp]> = [
    ['[not, a, mapping]', /\(it is not a mapping\)$/],
    ['', /\(it is not a mapping\)$/],
    ['just text', /\(it is not a mapping\)$/],
    ['{unclosed: ', /\(it is not valid YAML\)$/],
    ['a: 1\na: 2', /\(it is not valid YAML\)$/],
    ['holdApplicationUntilProxyStarts: "true"', /is the string "true"\)$/],
    ['holdApplicationUntilProxyStarts: 1', /is a number\)$/],
    ['holdApplicationUntilProxyStarts: [true]', /is a list\)$/],
    ['{holdApplicationUntilProxyStarts: true, hold_application_until_proxy_starts: true}', /set twice/],
  ];
  for (const [raw, why] of refused) {
    const message = expected(parseProxyConfigHold(raw));
    t.match(message, /^a ProxyConfig as a YAML or JSON mapping whose holdApplicationUntilProxyStarts, if set, is true or false/);
    t.match(message, why, JSON.stringify(raw));
  }
  // An alias bomb is refused rather than expanded.
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]', 'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]'].join('\n');
  t.match(expected(parseProxyConfigHold(bomb)), /not valid YAML/);
});
