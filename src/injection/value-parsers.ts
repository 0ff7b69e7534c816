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
//   clear message. Quantities (quantity.ts) follow resource.Quantity's documented grammar;
//   Go's scanner also takes a bare sign or "." as zero, which we refuse; negative values
//   are refused because requests and limits cannot be negative.
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
