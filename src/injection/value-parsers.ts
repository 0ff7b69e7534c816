// Validators for per-pod setting values. Each takes the raw annotation text and returns
// either the parsed value or `expected`: what is accepted (plus, where it helps, which
// part was wrong). Pure, no I/O, no regular expression that can backtrack badly.
//
// Where these match Istio's injector (pkg/kube/inject/validate.go, inject.go) and where our
// native keys deliberately differ:
// - Ports: Istio trims the whole value, splits on ",", trims each entry and reads it with
//   strconv.ParseUint(s, 10, 16): spaces around entries are fine, an empty entry ("80,,90",
//   "80,") is not, an empty value is an empty list. Istio accepts port 0; our native keys
//   want 1-65535 (a port 0 rule means nothing), the Istio keys keep 0-65535.
// - CIDRs (cidr-parse.ts): Istio splits on "," without trimming and reads each entry with Go's
//   netip.ParsePrefix (current Go: no leading zeros in octets or prefix length, at most 4
//   hex digits per IPv6 group, no zone). Same rules for both keys.
// - Booleans: Istio's keys go through strconv.ParseBool (1 t T TRUE true True 0 f F FALSE
//   false False); our native keys accept exactly "true" and "false".
// - Quantities and the image: Istio does not check them (a bad one fails later, when the
//   rendered pod is decoded or the image pulled). We check both so the pod is denied with a
//   clear message. Quantities follow resource.Quantity's documented grammar; Go's scanner
//   also takes a bare sign or "." as zero, which we refuse; negative values are refused
//   because requests and limits cannot be negative.
// - proxy.istio.io/config: Istio applies the whole ProxyConfig (YAML 1.1 -> JSON -> proto,
//   unknown fields allowed). We read only holdApplicationUntilProxyStarts and ignore the
//   other fields (proxy-config-parse.ts).

export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function bad(expected: string): { ok: false; expected: string } {
  return { ok: false, expected };
}

const SHOWN_CHARS = 100;

/**
 * String(value), for any JSON value a client can send: an object whose `toString` key is
 * not a function makes String() throw a TypeError, and lists nested thousands deep
 * overflow the stack in Array#join. Such a value is named by its type instead.
 */
function textOf(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Array.isArray(value) ? '(a list)' : '(a mapping)';
  }
}

/**
 * A value as shown in messages: JSON-quoted so control characters and quotes are visible,
 * cut after `max` characters with the full length noted.
 */
export function quote(value: unknown, max: number = SHOWN_CHARS): string {
  const text = typeof value === 'string' ? value : textOf(value);
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, max))}… (${text.length} characters)`;
}

// Go's strings.TrimSpace trims Unicode White_Space; JS's trim() differs (it also trims
// U+FEFF and not U+0085), so spell Go's set out.
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const GO_TRIM = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

export function goTrimSpace(s: string): string {
  return s.replace(GO_TRIM, '');
}

// ---------------------------------------------------------------------------------------
// Kubernetes quantities (k8s.io/apimachinery/pkg/api/resource):
//   <quantity> ::= <sign>? <number> <suffix>
//   <number>   ::= digits | digits. | digits.digits | .digits
//   <suffix>   ::= Ki|Mi|Gi|Ti|Pi|Ei | n|u|m|""|k|M|G|T|P|E | (e|E)<sign>?digits
// Groups: sign, integer digits, fraction digits, binary suffix, decimal suffix, exponent.
const QUANTITY = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:([KMGTPE]i)|([numkMGTPE])|[eE]([+-]?)([0-9]+))?$/;
const INT64_MAX = '9223372036854775807';

/** Go reads the decimal exponent with strconv.ParseInt(…, 10, 64): it must fit an int64. */
function exponentFits(sign: string, digits: string): boolean {
  const d = digits.replace(/^0+/, '');
  if (d.length !== INT64_MAX.length) return d.length < INT64_MAX.length;
  return sign === '-' ? d <= '9223372036854775808' : d <= INT64_MAX;
}

/** A resource quantity (requests, limits): kept as the string written. */
export function parseQuantity(raw: string, examples: string): Parsed<string> {
  const expected = `a Kubernetes quantity such as ${examples}`;
  const m = QUANTITY.exec(raw);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return bad(expected);
  if (m[7] !== undefined && !exponentFits(m[6], m[7])) return bad(`${expected} (the exponent is out of range)`);
  if (m[1] === '-') return bad(`a non-negative Kubernetes quantity such as ${examples}`);
  return ok(raw);
}

const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_SUFFIX = new Map(Object.entries(DECIMAL).map(([suffix, exponent]) => [exponent, suffix]));

/** `n` without its factors of `base`, and how many there were. */
function removeFactors(n: bigint, base: bigint): [bigint, number] {
  let times = 0;
  while (n !== 0n && n % base === 0n) { n /= base; times++; }
  return [n, times];
}

const INT64 = 2n ** 63n - 1n;
/** Longer text is left as written (canonicalQuantity): int64's 19 digits, a fraction, a suffix and room. */
const QUANTITY_MAX_CHARS = 64;

/**
 * Whether Go's resource.Quantity keeps the text as written (its parser's fast path reuses a
 * string already in canonical form): a decimal one at a scale that is a multiple of 3, not
 * ending in 000 nor starting with 0; a binary one whose number is not a multiple of 8.
 */
function keptAsWritten(num: string, denom: string, exponent: number, binary: boolean): boolean {
  const shifted = `${num}${denom}`;
  if (binary) {
    if (denom !== '' || 15 - num.length - Math.trunc((exponent * 3) / 10) - 1 < 0) return false;
    const value = BigInt(shifted);
    return value << BigInt(exponent) <= INT64 && (value & 7n) !== 0n;
  }
  const scale = exponent - denom.length;
  if (num.length + denom.length > 18 || scale < -9 || BigInt(shifted) > INT64) return false;
  return scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
}

/**
 * A quantity as Go writes a resource.Quantity (Istio's injector round-trips every pod
 * through Go's types), which is what the API server stores: "3000m" is "3", "1000" is
 * "1k", "0.5" is "500m", "1.5Gi" is "1536Mi", "1024Mi" is "1Gi"; text already canonical
 * ("1500m", "100Mi", "1e3") is kept as written. Precision below nano rounds up, as Go
 * parses it. (The API server also rounds a pod's resources up to milli: "100u" is stored
 * as "1m".) Anything that is not a quantity (or out of range) is returned as written.
 */
export function canonicalQuantity(q: string): string {
  // A pod's text (an override's resources): stripping factors of ten from a huge number is
  // quadratic, and nothing this long is a quantity a pod means; the API server judges it.
  if (q.length > QUANTITY_MAX_CHARS) return q;
  const m = QUANTITY.exec(q);
  const e10 = m?.[7] === undefined ? undefined : Number(`${m[6]}${m[7]}`);
  if (!m || (m[2] === '' && (m[3] ?? '') === '') || (e10 !== undefined && Math.abs(e10) > 1000)) return q;
  if (q === '0') return q;
  const suffixExponent = m[4] !== undefined ? 10 * BINARY.indexOf(m[4]) : e10 ?? DECIMAL[m[5] ?? ''];
  if (keptAsWritten(m[2] || '0', m[3] ?? '', suffixExponent, m[4] !== undefined)) return q;
  // value = digits × 10^exponent (× 1024^k, folded into digits)
  let digits = BigInt(`${m[2]}${m[3] ?? ''}` || '0');
  let exponent = -(m[3] ?? '').length;
  const binary = m[4] !== undefined;
  if (binary) digits *= 1024n ** BigInt(BINARY.indexOf(m[4]));
  else exponent += e10 ?? DECIMAL[m[5] ?? ''];
  if (exponent < -9) {
    const unit = 10n ** BigInt(-9 - exponent);
    digits = (digits + unit - 1n) / unit;
    exponent = -9;
  }
  if (digits === 0n) return '0';
  const sign = m[1] === '-' ? '-' : '';
  if (binary) {
    const whole = exponent >= 0 ? digits * 10n ** BigInt(exponent) : digits % 10n ** BigInt(-exponent) === 0n ? digits / 10n ** BigInt(-exponent) : undefined;
    if (whole !== undefined && whole >= 1024n) {
      const [amount, k] = removeFactors(whole, 1024n);
      if (k < BINARY.length) return `${sign}${amount}${BINARY[k]}`;
    }
  }
  const [reduced, times] = removeFactors(digits, 10n);
  let amount = reduced;
  let e = exponent + times;
  const below = ((e % 3) + 3) % 3;
  amount *= 10n ** BigInt(below);
  e -= below;
  if (e10 !== undefined) return `${sign}${amount}${e === 0 ? '' : `e${e}`}`;
  const suffix = DECIMAL_SUFFIX.get(e);
  return suffix === undefined ? `${sign}${amount}e${e}` : `${sign}${amount}${suffix}`;
}

// ---------------------------------------------------------------------------------------
// Image references (github.com/distribution/reference):
//   reference := name [":" tag] ["@" digest]
//   name      := [domain "/"] path-component ["/" path-component]*   (at most 255 chars)
//   domain    := (domain-name | "[" ipv6 "]") [":" port]
// The upstream separator `(?:[._]|__|[-]*)` may be empty, which makes a backtracking
// engine exponential; `-+` describes the same language without that ambiguity.
const DOMAIN_COMPONENT = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);
const IDENTIFIER = /^[a-f0-9]{64}$/;
const WHITESPACE_OR_CONTROL = /[\s\x00-\x1f\x7f-\x9f]/;
const NAME_MAX = 255;
// Name (255) + tag (128) + a sha512 digest fit well under this; longer input is refused
// before the regular expression runs.
const REFERENCE_MAX = 1024;
const IMAGE_EXPECTED = 'an image reference such as docker.io/envoyproxy/envoy:v1.36.2 ([registry[:port]/]repository[:tag][@digest])';

export function parseImage(raw: string): Parsed<string> {
  if (raw === '') return bad(IMAGE_EXPECTED);
  if (WHITESPACE_OR_CONTROL.test(raw)) return bad(`${IMAGE_EXPECTED}, without whitespace or control characters`);
  if (raw.length > REFERENCE_MAX) return bad(`${IMAGE_EXPECTED} of at most ${REFERENCE_MAX} characters`);
  if (IDENTIFIER.test(raw)) return bad(`${IMAGE_EXPECTED}, not a bare 64-character hex image ID`);
  const m = REFERENCE.exec(raw);
  if (!m) {
    if (REFERENCE.test(raw.toLowerCase())) return bad(`${IMAGE_EXPECTED}; the repository name must be lowercase`);
    return bad(IMAGE_EXPECTED);
  }
  if (m[1].length > NAME_MAX) return bad(`${IMAGE_EXPECTED} whose name is at most ${NAME_MAX} characters`);
  return ok(raw);
}

// ---------------------------------------------------------------------------------------
// Enumerations: exact case.

export function enumParser<T extends string>(values: readonly T[]): (raw: string) => Parsed<T> {
  const set: ReadonlySet<string> = new Set(values);
  const expected = `one of ${values.join(', ')}`;
  return (raw) => (set.has(raw) ? ok(raw as T) : bad(expected));
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'] as const;
export const INTERCEPTION_MODES = ['REDIRECT', 'TPROXY', 'NONE'] as const;
export const parseLogLevel = enumParser(LOG_LEVELS);
export const parseInterceptionMode = enumParser(INTERCEPTION_MODES);

// ---------------------------------------------------------------------------------------
// Booleans.

const NATIVE_BOOL_EXPECTED = '"true" or "false"';

/** Our native keys: exactly "true" or "false". */
export function parseNativeBool(raw: string): Parsed<boolean> {
  if (raw === 'true') return ok(true);
  if (raw === 'false') return ok(false);
  return bad(NATIVE_BOOL_EXPECTED);
}

const GO_TRUE: ReadonlySet<string> = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE: ReadonlySet<string> = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);
const GO_BOOL_EXPECTED = 'a boolean: true or false (or 1, t, T, TRUE, True, 0, f, F, FALSE, False)';

/** Istio's keys: what Go's strconv.ParseBool accepts. */
export function parseGoBool(raw: string): Parsed<boolean> {
  if (GO_TRUE.has(raw)) return ok(true);
  if (GO_FALSE.has(raw)) return ok(false);
  return bad(GO_BOOL_EXPECTED);
}

// ---------------------------------------------------------------------------------------
// Port lists.

export type PortList = number[];
const DIGITS = /^[0-9]+$/;

function portListParser(min: 0 | 1, star: boolean): (raw: string) => Parsed<PortList | '*'> {
  const expected = `${star ? '"*" or ' : ''}comma-separated ports ${min}-65535 such as 8080,9090`;
  return (raw) => {
    if (star && raw === '*') return ok('*');
    const s = goTrimSpace(raw);
    const ports: number[] = [];
    if (s === '') return ok(ports);
    for (const part of s.split(',')) {
      const entry = goTrimSpace(part);
      if (!DIGITS.test(entry)) {
        return bad(`${expected} (${entry === '' ? 'an entry is empty' : `${quote(entry, 40)} is not a port number`})`);
      }
      const significant = entry.replace(/^0+(?=.)/, '');
      const port = significant.length > 5 ? Infinity : Number(significant);
      if (port < min || port > 65535) return bad(`${expected} (${quote(entry, 40)} is out of range)`);
      ports.push(port);
    }
    return ok(ports);
  };
}

export const parsePorts = portListParser(1, false);
export const parsePortsOrStar = portListParser(1, true);
export const parseIstioPorts = portListParser(0, false);
export const parseIstioPortsOrStar = portListParser(0, true);

// ---------------------------------------------------------------------------------------
// Template names.

/**
 * Comma-separated, each trimmed (as Istio does), each a known template. A name listed again
 * is rendered once, where it first appears: Istio renders it again, which adds nothing
 * (what it renders merges by name into what it rendered before).
 */
export function parseTemplateNames(raw: string, known: ReadonlyMap<string, unknown>): Parsed<string[]> {
  const expected = () => `comma-separated template names from: ${[...known.keys()].join(', ') || '(none)'}`;
  const names: string[] = [];
  for (const part of raw.split(',')) {
    const name = goTrimSpace(part);
    if (!known.has(name)) return bad(`${expected()} (${name === '' ? 'an entry is empty' : `no template ${quote(name, 60)}`})`);
    if (!names.includes(name)) names.push(name);
  }
  return ok(names);
}
