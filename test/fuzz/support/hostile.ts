// Hostile strings and keys shared by the fuzz targets: a fixed corpus (each entry named, so
// a failure says which one) and fast-check arbitraries that mix the corpus with generated text.
import fc from 'fast-check';

export const ONE_MB = 1024 * 1024;

export interface NamedValue {
  name: string;
  value: string;
}

const corpus: Record<string, string> = {
  // Quotes and escapes: a text template would end the string here.
  'double quote': '"',
  'single quote': "'",
  'mixed quotes': 'a"b\'c`d',
  'escaped quote': '\\"',
  'backslash at end': 'x\\',
  // Newlines: a text template followed by a YAML parse would add fields here.
  newline: 'a\nb',
  crlf: 'a\r\nb',
  'yaml field after newline': 'x\n  privileged: true',
  'yaml list item': '100m\n- name: evil\n  image: evil:1',
  'yaml document': '---\nkind: Pod\nmetadata:\n  name: evil',
  'yaml end and new document': '...\n---\n{}',
  'yaml anchors': '&a [*a, *a, *a]',
  'yaml tag': '!!js/function "function(){}"',
  'yaml merge key': '<<: {privileged: true}',
  'hold in yaml 1.1': 'holdApplicationUntilProxyStarts: yes',
  // JSON-e operators and interpolation: values are data, never evaluated.
  'json-e eval': '{"$eval": "values"}',
  'json-e let': '{"$let": {"x": {"$eval": "values"}}, "in": {"$eval": "x"}}',
  'json-e json': '{"$json": {"$eval": "settings"}}',
  'json-e if': '{"$if": "true", "then": {"privileged": true}}',
  'json-e merge': '{"$merge": [{"a": 1}, {"b": 2}]}',
  'bare $eval': '$eval',
  'interpolation values': '${values.proxy.image}',
  'interpolation settings': '${settings}',
  'interpolation pod': '${pod.name}',
  'open interpolation': '${',
  'escaped interpolation': '$${values}',
  'go template': '{{ .Values.secret }}',
  'printf verbs': '%s%n%x',
  // Kubelet expands $(VAR) in args, command and env values.
  'kubelet var': '$(POD_NAME)',
  'kubelet secret var': '$(SECRET_TOKEN)',
  'kubelet escaped var': '$$(POD_NAME)',
  'star and var': '*,$(X)',
  'cidr and var': '10.0.0.0/8,$(X)',
  'port and var': '80,$(PORT)',
  'log level and var': 'info $(X)',
  'extra envoy flag': 'info --admin-address-path /tmp/admin',
  'flag as value': '--log-level debug',
  // Control characters.
  nul: '\u0000',
  'nul inside': 'a\u0000b',
  'valid value then nul': 'info\u0000',
  'bell and escape': '\u0007\u001b[31mred',
  delete: '\u007f',
  'next line': '\u0085',
  'all c0 controls': Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join(''),
  // Unicode.
  'bidi override': '\u202e',
  'bidi inside': 'abc\u202edcba',
  'bidi isolate': '\u2066x\u2069',
  bom: '\ufeff',
  'zero width space': 'info\u200b',
  fullwidth: 'ｉｎｆｏ',
  'lone surrogate': '\ud800',
  emoji: '😀',
  'dotted capital i': 'İNFO',
  'line separator': 'a\u2028b',
  // Values next to valid ones.
  'trailing space quantity': '100m ',
  'leading space quantity': ' 100m',
  'trailing comma ports': '80,',
  'leading comma ports': ',80',
  'spaced ports': ' 80 , 90 ',
  'leading zero port': '080',
  'port out of range': '65536',
  'port zero': '0',
  'trailing space cidr': '10.0.0.0/8 ',
  'leading zero cidr': '010.0.0.0/8',
  'upper true': 'TRUE',
  'yes': 'yes',
  'capital log level': 'Info',
  'log level with newline': 'info\n',
  'image with space': 'envoy:1 ',
  'image with newline': 'envoy:1\n',
  'mode with newline': 'REDIRECT\n',
  'template list with empty entry': 'sidecar,',
  'template twice': 'sidecar,sidecar',
  'negative quantity': '-1',
  'huge exponent': '1e9223372036854775808',
  empty: '',
  space: ' ',
  // Object-model names.
  proto: '__proto__',
  constructor: 'constructor',
  'to string': 'toString',
  'proto json': '{"__proto__": {"polluted": "yes"}}',
  'constructor json': '{"constructor": {"prototype": {"polluted": "yes"}}}',
  // Large values (1 MB each, except where a smaller one keeps the test fast).
  '1 MB of x': 'x'.repeat(ONE_MB),
  '1 MB of digits': '9'.repeat(ONE_MB),
  '1 MB of ports': '1,'.repeat(ONE_MB / 2 - 1) + '1',
  '1 MB of newlines': '\n'.repeat(ONE_MB),
  '1 MB of interpolation': '${x}'.repeat(ONE_MB / 4),
};

/** Every corpus value, named. */
export const HOSTILE_VALUES: readonly NamedValue[] = Object.freeze(Object.entries(corpus).map(([name, value]) => ({ name, value })));

/** The corpus without the megabyte values: for the targets that run many cases. */
export const SMALL_HOSTILE_VALUES: readonly NamedValue[] = HOSTILE_VALUES.filter((v) => v.value.length < 4096);

/** Keys with a meaning to JavaScript, JSON Pointer or our prefix. */
export const HOSTILE_KEYS: readonly string[] = Object.freeze([
  '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__',
  'a/b', '~0~1', '~', '/', '', ' ', '\u0000', '$(X)', '${x}', '$eval',
  'sidecar-injector.io/', 'sidecar-injector.io/proxy-imag', 'SIDECAR-INJECTOR.IO/proxy-image',
  'sidecar-injector.io/proxy-image ', 'sidecar-injector.io/\u202eegami-yxorp', 'k'.repeat(1024),
]);

/** Control characters only (C0, DEL, C1). */
const controlChars = fc.string({
  unit: fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f })).map((c) => String.fromCharCode(c)),
  maxLength: 8,
});

/** A hostile string: corpus entries, generated unicode, control characters, and mixes of them. */
export function hostileString(options: { huge?: boolean } = {}): fc.Arbitrary<string> {
  const named = fc.constantFrom(...SMALL_HOSTILE_VALUES.map((v) => v.value));
  const arbs: Array<fc.WeightedArbitrary<string>> = [
    { arbitrary: named, weight: 6 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 1 },
    { arbitrary: controlChars, weight: 1 },
    { arbitrary: fc.tuple(named, fc.string({ unit: 'binary', maxLength: 8 }), named).map(([a, b, c]) => a + b + c), weight: 2 },
  ];
  if (options.huge) {
    arbs.push({ arbitrary: fc.tuple(named, fc.constantFrom(64 * 1024, ONE_MB)).map(([s, n]) => s.repeat(Math.ceil(n / Math.max(1, s.length))).slice(0, n)), weight: 1 });
  }
  return fc.oneof(...arbs);
}

/** A key for a labels/annotations map: hostile ones, generated ones, and known-looking ones. */
export function hostileKey(known: readonly string[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...HOSTILE_KEYS), weight: 3 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }), weight: 2 },
    ...(known.length > 0 ? [{ arbitrary: fc.constantFrom(...known), weight: 4 }] : []),
  );
}
