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
// - CIDRs: Istio splits on "," without trimming and reads each entry with Go's
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
//   other fields.
import { parseDocument } from 'yaml';

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
const QUANTITY = /^([+-]?)(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[KMGTPE]i|[numkMGTPE]|[eE]([+-]?)([0-9]+))?$/;
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
  if (!m) return bad(expected);
  if (m[3] !== undefined && !exponentFits(m[2], m[3])) return bad(`${expected} (the exponent is out of range)`);
  if (m[1] === '-') return bad(`a non-negative Kubernetes quantity such as ${examples}`);
  return ok(raw);
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

/** `native-sidecar`: "true", "false", or "auto" (on where the cluster supports it; see native-sidecar.ts). */
export function parseNativeBoolOrAuto(raw: string): Parsed<boolean | 'auto'> {
  if (raw === 'auto') return ok('auto');
  const parsed = parseNativeBool(raw);
  return parsed.ok ? parsed : bad('"true", "false" or "auto"');
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
// CIDRs: a port of Go's net/netip ParsePrefix (and ParseAddr), current Go semantics.

function ipv4Problem(s: string): string | undefined {
  let val = 0;
  let fields = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && val === 0) return 'IPv4 field has octet with leading zero';
      val = val * 10 + (c - 48);
      digits++;
      if (val > 255) return 'IPv4 field has value >255';
    } else if (c === 46) {
      if (i === 0 || i === s.length - 1 || s.charCodeAt(i - 1) === 46) return 'IPv4 field must have at least one digit';
      if (fields === 3) return 'IPv4 address too long';
      fields++;
      val = 0;
      digits = 0;
    } else {
      return 'unexpected character';
    }
  }
  return fields < 3 ? 'IPv4 address too short' : undefined;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Go's parseIPv6 for a prefix: a zone ("%…") is refused either way. */
function ipv6Problem(input: string): string | undefined {
  if (input.includes('%')) return 'IPv6 zones cannot be present in a prefix';
  let s = input;
  let ellipsis = -1;
  if (s.startsWith('::')) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === '') return undefined;
  }
  let i = 0;
  while (i < 16) {
    let off = 0;
    let acc = 0;
    for (; off < s.length; off++) {
      const h = hexValue(s.charCodeAt(off));
      if (h < 0) break;
      if (off > 3) return 'each group must have 4 or less digits';
      acc = acc * 16 + h;
    }
    if (off === 0) return 'each colon-separated field must have at least one digit';
    if (off < s.length && s[off] === '.') {
      if (ellipsis < 0 && i !== 12) return 'embedded IPv4 address must replace the final 2 fields of the address';
      if (i + 4 > 16) return 'too many hex fields to fit an embedded IPv4 at the end of the address';
      const problem = ipv4Problem(s);
      if (problem) return problem;
      s = '';
      i += 4;
      break;
    }
    i += 2;
    s = s.slice(off);
    if (s === '') break;
    if (s[0] !== ':') return 'unexpected character, want colon';
    if (s.length === 1) return 'colon must be followed by more characters';
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) return 'multiple :: in address';
      ellipsis = i;
      s = s.slice(1);
      if (s === '') break;
    }
  }
  if (s !== '') return 'trailing garbage after address';
  if (i < 16 && ellipsis < 0) return 'address string too short';
  if (i === 16 && ellipsis >= 0) return 'the :: must expand to at least one field of zeros';
  return undefined;
}

/** Why Go's netip.ParsePrefix would refuse `s`, or undefined when it accepts it. */
export function prefixProblem(s: string): string | undefined {
  const slash = s.lastIndexOf('/');
  if (slash < 0) return "no '/'";
  const addr = s.slice(0, slash);
  let is6 = false;
  let problem: string | undefined = 'unable to parse IP';
  for (let i = 0; i < addr.length; i++) {
    const c = addr[i];
    if (c === '.') { problem = ipv4Problem(addr); break; }
    if (c === ':') { is6 = true; problem = ipv6Problem(addr); break; }
    if (c === '%') { problem = 'missing IPv6 address'; break; }
  }
  if (problem) return problem;
  const bits = s.slice(slash + 1);
  if (!/^(?:0|[1-9][0-9]*)$/.test(bits)) return 'bad bits after slash';
  if (Number(bits) > (is6 ? 128 : 32)) return 'prefix length out of range';
  return undefined;
}

function cidrListParser(star: boolean): (raw: string) => Parsed<string[] | '*'> {
  const expected = `${star ? '"*" or ' : ''}comma-separated CIDRs such as 10.0.0.0/8,fd00::/8`;
  return (raw) => {
    if (star && raw === '*') return ok('*');
    const cidrs: string[] = [];
    if (raw === '') return ok(cidrs);
    for (const entry of raw.split(',')) {
      const problem = prefixProblem(entry);
      if (problem) return bad(`${expected} (${quote(entry, 60)}: ${problem})`);
      cidrs.push(entry);
    }
    return ok(cidrs);
  };
}

export const parseCidrs = cidrListParser(false);
export const parseCidrsOrStar = cidrListParser(true);

// ---------------------------------------------------------------------------------------
// Template names.

/** Comma-separated, each trimmed (as Istio does), each a known template, none twice. */
export function parseTemplateNames(raw: string, known: ReadonlyMap<string, unknown>): Parsed<string[]> {
  const expected = () => `comma-separated template names from: ${[...known.keys()].join(', ') || '(none)'}`;
  const names: string[] = [];
  for (const part of raw.split(',')) {
    const name = goTrimSpace(part);
    if (!known.has(name)) return bad(`${expected()} (${name === '' ? 'an entry is empty' : `no template ${quote(name, 60)}`})`);
    if (names.includes(name)) return bad(`${expected()} (${quote(name, 60)} is listed twice)`);
    names.push(name);
  }
  return ok(names);
}

// ---------------------------------------------------------------------------------------
// proxy.istio.io/config: only its holdApplicationUntilProxyStarts field.

const PROXY_CONFIG_EXPECTED = 'a ProxyConfig as a YAML or JSON mapping whose holdApplicationUntilProxyStarts, if set, is true or false';
// Parsing YAML costs far more per byte than any other check here, and a mapping with many
// keys more still (the duplicate-key check is quadratic): a 1 MB value would block the
// event loop, and so every admission, for seconds. Real ProxyConfig annotations are a few
// hundred bytes; the size is checked before parsing.
export const PROXY_CONFIG_MAX_CHARS = 16 * 1024;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The holdApplicationUntilProxyStarts field of a ProxyConfig annotation: a boolean, or
 * undefined when the field is absent or null. YAML 1.1, as Go's sigs.k8s.io/yaml reads it
 * (so `yes`/`on` are booleans there too); protobuf JSON then takes only booleans, under
 * the JSON or the proto field name.
 */
export function parseProxyConfigHold(raw: string): Parsed<boolean | undefined> {
  if (raw.length > PROXY_CONFIG_MAX_CHARS) return bad(`${PROXY_CONFIG_EXPECTED}, of at most ${PROXY_CONFIG_MAX_CHARS} characters`);
  let config: unknown;
  try {
    const doc = parseDocument(raw, { version: '1.1', uniqueKeys: true, prettyErrors: false, logLevel: 'silent' });
    if (doc.errors.length > 0) return bad(`${PROXY_CONFIG_EXPECTED} (it is not valid YAML)`);
    config = doc.toJS({ maxAliasCount: 100 });
  } catch {
    return bad(`${PROXY_CONFIG_EXPECTED} (it is not valid YAML)`);
  }
  if (!isPlainObject(config)) return bad(`${PROXY_CONFIG_EXPECTED} (it is not a mapping)`);
  const hasJsonName = Object.hasOwn(config, 'holdApplicationUntilProxyStarts');
  const hasProtoName = Object.hasOwn(config, 'hold_application_until_proxy_starts');
  if (hasJsonName && hasProtoName) return bad(`${PROXY_CONFIG_EXPECTED} (the field is set twice)`);
  const value = hasJsonName ? config.holdApplicationUntilProxyStarts : config.hold_application_until_proxy_starts;
  if (value === undefined || value === null) return ok(undefined);
  if (typeof value !== 'boolean') {
    const shown = typeof value === 'string' ? `the string ${quote(value, 40)}` : `a ${Array.isArray(value) ? 'list' : typeof value}`;
    return bad(`${PROXY_CONFIG_EXPECTED} (holdApplicationUntilProxyStarts is ${shown})`);
  }
  return ok(value);
}
