// `$json`'s text: JSON with the keys of every object sorted, exactly as json-e writes it
// (json-stable-stringify-without-jsonify). That module keeps a list of the objects on the
// path to detect cycles and builds each level through closures; the istio and built-in
// templates pass whole Envoy bootstraps through `$json` on every render, so plain data
// (what templates render) is written here directly, and anything else — a `toJSON`
// method, a BigInt, a structure deep enough to be a cycle — is handed to that module.
import { stableStringify as jsoneStableStringify } from './jsone-internals.js';

/** Past this depth the value may be a cycle: that module says so in its own words. */
const MAX_DEPTH = 100;
const UNSUPPORTED = Symbol('unsupported');

/** Text JSON.stringify writes as is between quotes: no quote, backslash, control character or surrogate. */
const VERBATIM = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** JSON.stringify(text) without the call for the common case (Envoy's names and type URLs). */
function quoted(text: string): string {
  return VERBATIM.test(text) ? `"${text}"` : JSON.stringify(text);
}

function write(node: unknown, depth: number): string | undefined {
  switch (typeof node) {
    case 'string': return quoted(node);
    case 'number': case 'boolean': return JSON.stringify(node);
    case 'undefined': case 'function': case 'symbol': return undefined;
    case 'object': break;
    default: throw UNSUPPORTED;
  }
  if (node === null) return 'null';
  if (depth > MAX_DEPTH || typeof (node as { toJSON?: unknown }).toJSON === 'function') throw UNSUPPORTED;
  if (Array.isArray(node)) {
    let out = '[';
    for (let i = 0; i < node.length; i++) {
      if (i > 0) out += ',';
      out += write(node[i], depth + 1) ?? 'null';
    }
    return `${out}]`;
  }
  let out = '{';
  const keys = Object.keys(node);
  if (keys.length > 1) keys.sort();
  for (const key of keys) {
    const value = write((node as Record<string, unknown>)[key], depth + 1);
    if (value === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${quoted(key)}:${value}`;
  }
  return `${out}}`;
}

/** json-e's `$json` text of a rendered value. */
export function stableStringify(value: unknown): string {
  try {
    return write(value, 0) as string;
  } catch (err) {
    if (err !== UNSUPPORTED) throw err;
    return jsoneStableStringify(value);
  }
}
