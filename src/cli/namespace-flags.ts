// `--namespace-labels k=v,...` and `--namespace-annotations k=v,...`: what the namespace of
// every pod is taken to carry when there is no cluster to ask (inject, explain, and a
// standalone server). Shared so the three read the flags the same way.
import { FlagValueError } from './command.js';

export { FlagValueError };

/** The two flags, for node:util parseArgs option tables. */
export const NAMESPACE_FLAG_OPTIONS = {
  'namespace-labels': { type: 'string' },
  'namespace-annotations': { type: 'string' },
} as const;

export interface NamespaceFlags {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

// Kubernetes qualified names: an optional DNS-subdomain prefix and "/", then a name of at
// most 63 characters. Label values: at most 63 characters, alphanumeric at both ends.
const KEY_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const KEY_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function keyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !KEY_PREFIX.test(prefix))) {
    return `its prefix "${prefix}" is not a DNS subdomain (lowercase letters, digits, "-" and ".")`;
  }
  if (!KEY_NAME.test(name)) {
    return 'expected [prefix/]name with a name of 1-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
  }
  return undefined;
}

/**
 * Parses `k=v,k2=v2` into a map. A part without "=" continues the previous value, so a
 * value may hold commas: `sidecar-injector.io/templates=sidecar,extra`. Empty or missing
 * text gives an empty map. With `labelValues`, values must be valid label values.
 * Throws FlagValueError naming the flag, the part at fault and what is accepted.
 */
export function parseKeyValueFlag(flag: string, text: string | undefined, options: { labelValues?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined || text.trim() === '') return out;
  let lastKey: string | undefined;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) {
      if (lastKey === undefined) {
        throw new FlagValueError(`${flag}: "${part}" has no "="; expected key=value pairs separated by commas, e.g. sidecar-injection=enabled`);
      }
      out[lastKey] += `,${part}`;
      continue;
    }
    const key = part.slice(0, eq).trim();
    const problem = keyProblem(key);
    if (problem) throw new FlagValueError(`${flag}: "${key}" is not a valid key: ${problem}`);
    if (Object.hasOwn(out, key)) throw new FlagValueError(`${flag}: key "${key}" is given twice; give each key once`);
    out[key] = part.slice(eq + 1);
    lastKey = key;
  }
  if (options.labelValues) {
    for (const [key, value] of Object.entries(out)) {
      if (value.length > 63 || !LABEL_VALUE.test(value)) {
        throw new FlagValueError(`${flag}: the value of "${key}" ("${value}") is not a valid label value; expected at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`);
      }
    }
  }
  return out;
}

/** Reads both flags from parseArgs values. Throws FlagValueError. */
export function parseNamespaceFlags(values: { 'namespace-labels'?: string; 'namespace-annotations'?: string }): NamespaceFlags {
  return {
    labels: parseKeyValueFlag('--namespace-labels', values['namespace-labels'], { labelValues: true }),
    annotations: parseKeyValueFlag('--namespace-annotations', values['namespace-annotations']),
  };
}
