// The value parsers of `serve`'s flags (ports, addresses, names, durations, sizes, counts)
// and the formatters that print their defaults. Each error names the flag and what it accepts.
import { UsageError } from './command.js';

const MiB = 1024 * 1024;

/** A size for the help text and the flag parsers: `3Mi`, `16Ki`. */
export function formatSize(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB}Mi` : bytes % 1024 === 0 ? `${bytes / 1024}Ki` : String(bytes);
}

/** A duration for the help text and the flag parsers: `3s`, `250ms`. */
export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export function parsePort(flag: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new UsageError(`${flag}: "${text}" is not a port; expected an integer 0-65535.`);
  }
  return Number(text);
}

export function parseAddress(text: string): string {
  if (text === '' || /\s/.test(text)) {
    throw new UsageError(`--address: "${text}" is not an address; expected an IP address or host name, e.g. 0.0.0.0 or 127.0.0.1.`);
  }
  return text;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function checkDnsLabel(flag: string, text: string): void {
  if (!DNS_LABEL.test(text)) {
    throw new UsageError(`${flag}: "${text}" is not a valid name; expected a DNS label (lowercase letters, digits and "-", at most 63 characters).`);
  }
}

/** `NAME` or `NAMESPACE/NAME` of a ConfigMap. */
export function parseConfigMapRef(text: string, defaultNamespace: string): { namespace: string; name: string } {
  const parts = text.split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new UsageError(`--configmap: "${text}" is not a ConfigMap reference; expected NAME or NAMESPACE/NAME.`);
  }
  const [namespace, name] = parts.length === 2 ? parts : [defaultNamespace, parts[0]];
  checkDnsLabel('--configmap namespace', namespace);
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) {
    throw new UsageError(`--configmap: "${name}" is not a valid ConfigMap name; expected a DNS subdomain (lowercase letters, digits, "-" and ".").`);
  }
  return { namespace, name };
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;

/** Parses `500ms`, `10s`, `2m` or a bare number of seconds into milliseconds. */
export function parseDuration(flag: string, text: string, minMs: number, maxMs: number): number {
  const m = DURATION.exec(text.trim());
  const unit = m?.[2] ?? 's';
  const ms = m ? Math.round(Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000)) : NaN;
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
    throw new UsageError(`${flag}: "${text}" is not an accepted duration; expected a number with ms, s or m between ${minMs}ms and ${maxMs / 1000}s, e.g. 25s.`);
  }
  return ms;
}

const BYTE_SIZE = /^(\d+)(Ki|Mi|KiB|MiB)?$/;

/** Parses a byte count with an optional Ki/Mi suffix; bounds 1 KiB to 64 MiB unless given. */
export function parseByteSize(flag: string, text: string, min = 1024, max = 64 * MiB): number {
  const m = BYTE_SIZE.exec(text.trim());
  const bytes = m ? Number(m[1]) * (m[2]?.startsWith('Mi') ? MiB : m[2]?.startsWith('Ki') ? 1024 : 1) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) {
    throw new UsageError(`${flag}: "${text}" is not an accepted size; expected bytes between ${boundText(min)} and ${boundText(max)}, optionally with a Ki or Mi suffix, e.g. 8Mi.`);
  }
  return bytes;
}

function boundText(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB}Mi` : String(bytes);
}

/** A limit: a whole number up to a million, 0 meaning no limit. */
export function parseCount(flag: string, text: string): number {
  if (!/^\d{1,7}$/.test(text.trim())) {
    throw new UsageError(`${flag}: "${text}" is not an accepted count; expected a whole number 0-9999999 (0: no limit).`);
  }
  return Number(text.trim());
}

/** `true` or `false`; absent is `fallback`. */
export function parseBooleanFlag(flag: string, text: string | undefined, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new UsageError(`${flag}: "${text}" is not a boolean; expected true or false.`);
}
