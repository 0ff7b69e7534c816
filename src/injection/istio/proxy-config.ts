// The ProxyConfig a pod's istio-proxy runs with: the mesh's defaultConfig with the pod's
// `proxy.istio.io/config` annotation (a whole ProxyConfig, YAML or JSON) merged over it as
// Istio merges protobuf messages: nested messages and maps key by key, everything else
// (scalars, lists) replaced.
import { parse } from 'yaml';
import { PROXY_CONFIG_MAX_CHARS, PROXY_CONFIG_SHAPE } from '../proxy-config-parse.js';
import { isPlainObject } from '../plain-object.js';
import { yamlShapeProblem } from '../yaml-shape.js';
import type { Json } from './json.js';

export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';

// Fields whose type the injection templates rely on; others are passed through to the agent,
// which validates them itself.
const FIELD_TYPES: Readonly<Record<string, 'boolean' | 'string' | 'number' | 'mapping'>> = {
  holdApplicationUntilProxyStarts: 'boolean',
  interceptionMode: 'string',
  proxyMetadata: 'mapping',
  statusPort: 'number',
  concurrency: 'number',
  discoveryAddress: 'string',
  tracing: 'mapping',
};
const INTERCEPTION_MODES = ['REDIRECT', 'TPROXY', 'NONE'];

function mergeMessages(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeMessages(out[k] as Json, v) : v;
  }
  return out;
}

/** Why `config` is not a usable ProxyConfig, or undefined. */
function problemOf(config: Json): string | undefined {
  for (const [field, type] of Object.entries(FIELD_TYPES)) {
    const v = config[field];
    if (v === undefined || v === null) continue;
    const ok = type === 'mapping' ? isPlainObject(v) : typeof v === type;
    if (!ok) return `${field} must be a ${type}, got ${JSON.stringify(v)}`;
  }
  if (config.interceptionMode !== undefined && !INTERCEPTION_MODES.includes(config.interceptionMode as string)) {
    return `interceptionMode must be one of ${INTERCEPTION_MODES.join(', ')}, got ${JSON.stringify(config.interceptionMode)}`;
  }
  const metadata = config.proxyMetadata;
  if (isPlainObject(metadata)) {
    const bad = Object.entries(metadata).find(([, v]) => typeof v !== 'string');
    if (bad) return `proxyMetadata.${bad[0]} must be a string`;
  }
  return undefined;
}

export interface ProxyConfigResult {
  config: Json;
  /** Set when the annotation is not a valid ProxyConfig: the pod is refused, as Istio does. */
  problem?: string;
}

export function effectiveProxyConfig(meshDefault: unknown, annotation: string | undefined): ProxyConfigResult {
  const base = isPlainObject(meshDefault) ? meshDefault : {};
  if (annotation === undefined || annotation.trim() === '') return { config: base };
  // The same bounds as every other read of this annotation, checked before the YAML library
  // sees a client's text (its cost grows much faster than the text).
  if (annotation.length > PROXY_CONFIG_MAX_CHARS) {
    return { config: base, problem: `${PROXY_CONFIG_ANNOTATION}: at most ${PROXY_CONFIG_MAX_CHARS} characters are accepted, got ${annotation.length}` };
  }
  const tooComplex = yamlShapeProblem(annotation, PROXY_CONFIG_SHAPE);
  if (tooComplex) return { config: base, problem: `${PROXY_CONFIG_ANNOTATION}: ${tooComplex}` };
  let parsed: unknown;
  try {
    parsed = parse(annotation, { maxAliasCount: 10 });
  } catch (err) {
    return { config: base, problem: `${PROXY_CONFIG_ANNOTATION}: not YAML or JSON: ${(err as Error).message.split('\n')[0]}` };
  }
  if (parsed === null || parsed === undefined) return { config: base };
  if (!isPlainObject(parsed)) return { config: base, problem: `${PROXY_CONFIG_ANNOTATION}: expected a ProxyConfig mapping` };
  const problem = problemOf(parsed);
  if (problem) return { config: base, problem: `${PROXY_CONFIG_ANNOTATION}: ${problem}` };
  return { config: mergeMessages(base, parsed) };
}
