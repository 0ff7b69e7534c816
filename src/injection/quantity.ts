// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): the check of a
// per-pod setting's value, and the canonical form Go writes, which is what the API server
// stores and what Istio's injector writes. Pure.
//   <quantity> ::= <sign>? <number> <suffix>
//   <number>   ::= digits | digits. | digits.digits | .digits
//   <suffix>   ::= Ki|Mi|Gi|Ti|Pi|Ei | n|u|m|""|k|M|G|T|P|E | (e|E)<sign>?digits
import { bad, ok, type Parsed } from './value-parsers.js';

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

/** A quantity in canonical form (canonicalQuantity); other values as they are. */
export function canonicalQuantityOf(q: unknown): unknown {
  return typeof q === 'string' ? canonicalQuantity(q) : q;
}
