// The configuration flags of `inject` and `explain` (and `--profile` of `serve`):
//   --profile NAME          a built-in profile: "default" is templates/, any other name
//                           templates/profiles/NAME/
//   --set PATH=VALUE        one config.yaml value changed (repeatable), like `istioctl --set`:
//                           PATH is dotted (values.proxy.logLevel), with [N] for a list
//                           item; VALUE is read as YAML (1, true, null, text, [80, 443])
//   --kubernetes-version X.Y  the cluster the pods are taken to run on (native-sidecar auto)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CONFIG_FILE } from '../config/compile.js';
import { BUILTIN_CONFIG_DIR } from '../config/load-dir.js';
import { majorMinor, type ClusterInfo } from '../injection/native-sidecar.js';
import { FlagValueError } from './namespace-flags.js';

export const CONFIG_FLAG_OPTIONS = {
  profile: { type: 'string' },
  set: { type: 'string', multiple: true },
  'kubernetes-version': { type: 'string' },
} as const;

export const CONFIG_FLAGS_HELP = `      --profile NAME          a built-in configuration: default (templates/) or one
                              of templates/profiles/ (not with --config-dir)
      --set PATH=VALUE        change one config.yaml value (repeatable), e.g.
                              --set values.proxy.logLevel=debug; VALUE is YAML
      --kubernetes-version X.Y
                              the cluster's Kubernetes version (native-sidecar auto is
                              on from 1.33); unknown by default: auto is off
`;

export const DEFAULT_PROFILE = 'default';
const PROFILES_DIR = join(BUILTIN_CONFIG_DIR, 'profiles');
const PROFILE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The profiles shipped in templates/: "default" and each folder of templates/profiles/. */
export function availableProfiles(): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(PROFILES_DIR, { withFileTypes: true }).filter((d) => d.isDirectory() && PROFILE_NAME.test(d.name)).map((d) => d.name);
  } catch {
    // No profiles folder: only the default.
  }
  return [DEFAULT_PROFILE, ...names.sort()];
}

/** The directory of profile `name`. Throws FlagValueError naming the available ones. */
export function profileDir(name: string): string {
  const available = availableProfiles();
  if (!available.includes(name)) {
    throw new FlagValueError(`--profile: no profile "${name}"; available: ${available.join(', ')}`);
  }
  return name === DEFAULT_PROFILE ? BUILTIN_CONFIG_DIR : join(PROFILES_DIR, name);
}

/** --config-dir or --profile (not both), else the built-in default. */
export function configDirOf(values: { 'config-dir'?: string; profile?: string }): string {
  if (values['config-dir'] !== undefined && values.profile !== undefined) {
    throw new FlagValueError('--config-dir and --profile both given; give one: a directory of your own, or a built-in profile');
  }
  return values['config-dir'] ?? profileDir(values.profile ?? DEFAULT_PROFILE);
}

/** --kubernetes-version: "1.29", "v1.29", "1.29.3" → the cluster as the engine sees it. */
export function clusterFromFlag(text: string | undefined): ClusterInfo {
  if (text === undefined) return { kubernetesVersion: null, oldestKubeletVersion: null };
  const version = /^v?\d{1,3}\.\d{1,3}(\.\d{1,4})?$/.test(text) ? majorMinor(text) : undefined;
  if (version === undefined) throw new FlagValueError(`--kubernetes-version: "${text}" is not a version; expected MAJOR.MINOR such as 1.29 (v1.29.3 is fine too)`);
  return { kubernetesVersion: version, oldestKubeletVersion: null };
}

type Segment = string | number;
const MAX_SEGMENTS = 32;
const MAX_INDEX = 1000;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** `values.proxy.ports[0].name` → ['values', 'proxy', 'ports', 0, 'name']. */
export function parseSetPath(path: string): Segment[] {
  const fail = (why: string): never => {
    throw new FlagValueError(`--set: "${path}" is not a config path: ${why}; expected dotted keys such as values.proxy.logLevel, with [N] for a list item`);
  };
  const segments: Segment[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) fail(`"${part}" is not a key`);
    segments.push(m![1]);
    for (const index of m![2].matchAll(/\[(\d+)\]/g)) {
      const n = Number(index[1]);
      if (n > MAX_INDEX) fail(`index ${n} is over ${MAX_INDEX}`);
      segments.push(n);
    }
  }
  if (segments.length > MAX_SEGMENTS) fail(`more than ${MAX_SEGMENTS} parts`);
  const bad = segments.find((s) => typeof s === 'string' && FORBIDDEN.has(s));
  if (bad !== undefined) fail(`"${bad}" cannot be a key`);
  return segments;
}

function setIn(root: Record<string, unknown>, segments: Segment[], value: unknown, flag: string): void {
  let node: unknown = root;
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    const nextIsIndex = typeof segments[i + 1] === 'number';
    const where = segments.slice(0, i).join('.') || '(top level)';
    if (typeof segment === 'number') {
      if (!Array.isArray(node)) throw new FlagValueError(`${flag}: ${where} is not a list`);
      if (segment > node.length) throw new FlagValueError(`${flag}: ${where} has ${node.length} items; index ${segment} would leave a gap`);
    } else if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      throw new FlagValueError(`${flag}: ${where} is not a mapping`);
    }
    const container = node as Record<Segment, unknown>;
    if (last) {
      Object.defineProperty(container, segment, { value, enumerable: true, writable: true, configurable: true });
      return;
    }
    const existing = Object.hasOwn(container, segment) ? container[segment] : undefined;
    if (existing === undefined || existing === null) {
      Object.defineProperty(container, segment, { value: nextIsIndex ? [] : {}, enumerable: true, writable: true, configurable: true });
    }
    node = container[segment];
  });
}

/** config.yaml of `files` with each `--set` applied, in order. Throws FlagValueError. */
export function applySetFlags(files: Record<string, string>, sets: readonly string[] | undefined): Record<string, string> {
  if (sets === undefined || sets.length === 0) return files;
  let config: unknown;
  try {
    config = parse(files[CONFIG_FILE] ?? '') ?? {};
  } catch {
    return files; // an unreadable config.yaml is reported by the compiler, as without --set
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return files;
  for (const item of sets) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new FlagValueError(`--set: "${item}" has no PATH=; expected PATH=VALUE such as values.proxy.logLevel=debug`);
    const flag = `--set ${item.slice(0, eq)}`;
    let value: unknown;
    try {
      value = parse(item.slice(eq + 1));
    } catch (err) {
      throw new FlagValueError(`${flag}: the value is not YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    setIn(config as Record<string, unknown>, parseSetPath(item.slice(0, eq)), value ?? null, flag);
  }
  return { ...files, [CONFIG_FILE]: stringify(config) };
}
