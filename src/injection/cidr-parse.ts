// CIDR lists of per-pod settings (value-parsers.ts says where they match Istio's injector).
// A port of Go's net/netip ParsePrefix (and ParseAddr), current Go semantics.
import { bad, ok, quote, type Parsed } from './value-parsers.js';

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
