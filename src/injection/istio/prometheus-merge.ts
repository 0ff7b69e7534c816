// Istio's metrics merge (pkg/kube/inject/webhook.go, applyPrometheusMerge): Prometheus is
// pointed at the agent's status port, which serves Envoy's metrics and the app's together,
// so a scrape through the mesh's mTLS still reaches the app's metrics. The pod's own scrape
// annotations move into the proxy's ISTIO_PROMETHEUS_ANNOTATIONS and are removed from the
// pod. Pure.
import type { StringMap } from '../types.js';
import { goTrimSpace, parseGoBool } from '../value-parsers.js';
import { isPlainObject } from '../plain-object.js';
import { at, goJson, str, type Json } from './json.js';

export const MERGE_METRICS_ANNOTATION = 'prometheus.istio.io/merge-metrics';

/** What the merge does to one pod. */
export interface PrometheusMerge {
  /** The annotations pointing Prometheus at the agent ({} when the merge does not apply). */
  annotations: StringMap;
  /** The pod's scrape annotations, in every spelling Istio matches: removed from the pod. */
  replaced: readonly string[];
  /** ISTIO_PROMETHEUS_ANNOTATIONS: the pod's scrape configuration as Istio's agent reads it; '' for none. */
  scrapeConfig: string;
  /** Why Istio refuses the pod (a scrape port that is not a port, or one the proxy owns). */
  problem?: string;
}

const NONE: PrometheusMerge = Object.freeze({ annotations: Object.freeze({}), replaced: Object.freeze([]), scrapeConfig: '' });

// Istio compares annotation keys as Prometheus label names: every other character is '_'.
const SCRAPE = 'prometheus_io_scrape';
const PORT = 'prometheus_io_port';
const PATH = 'prometheus_io_path';
const TARGETS = 'prometheus_istio_io_scrape_targets';
const labelName = (key: string): string => key.replace(/[^a-zA-Z0-9_]/g, '_');

// The data-plane ports no scrape target may name (Istio's agent, status/server.go).
const RESERVED_PORTS: Readonly<Record<string, string>> = {
  15000: 'Envoy admin', 15001: 'outbound traffic capture', 15004: 'pilot debug', 15006: 'inbound traffic capture',
  15008: 'HBONE tunnel', 15020: 'pilot-agent status / merged Prometheus', 15021: 'Envoy health', 15053: 'DNS proxy',
  15090: 'Envoy Prometheus (already merged)',
};

/** Go's strconv.ParseBool; undefined when it fails. */
function goBool(text: string): boolean | undefined {
  const parsed = parseGoBool(text);
  return parsed.ok ? parsed.value : undefined;
}

/** Go's strconv.Atoi within a port's range, as text without sign or leading zeros; undefined if not a port. */
function portNumber(text: string): string | undefined {
  if (!/^[+-]?\d{1,19}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? String(n) : undefined;
}

/** Why `port` cannot be scraped through the agent, or undefined. */
function portProblem(port: string, agentPort: string, what: string, which: string): string | undefined {
  const canonical = portNumber(port);
  if (canonical === undefined) return `invalid prometheus ${what}: invalid ${which}port ${JSON.stringify(port)}`;
  if (canonical === agentPort) return `invalid prometheus ${what}: ${which}port ${port} conflicts with agent port`;
  const reason = RESERVED_PORTS[canonical];
  return reason === undefined ? undefined : `invalid prometheus ${what}: ${which}port ${port} is reserved for Istio (${reason}) and cannot be scraped`;
}

/** `port:path` entries, comma-separated (path `/metrics` when empty); undefined when an entry has no port. */
function scrapeTargets(raw: string): Array<{ port: string; path: string }> | undefined {
  const targets: Array<{ port: string; path: string }> = [];
  for (const item of raw.split(',')) {
    const entry = goTrimSpace(item);
    if (entry === '') continue;
    const colon = entry.indexOf(':');
    const port = goTrimSpace(colon === -1 ? entry : entry.slice(0, colon));
    if (port === '') return undefined; // Istio logs it and ignores the annotation
    const path = colon === -1 ? '' : goTrimSpace(entry.slice(colon + 1));
    targets.push({ port, path: path === '' ? '/metrics' : path });
  }
  return targets;
}

/** The merge for a pod with these annotations under this mesh config. */
export function prometheusMergeOf(annotations: StringMap, meshConfig: Readonly<Json>): PrometheusMerge {
  // Runs for every pod of the profile: each key is turned into a label name once.
  const keys = Object.keys(annotations);
  const names = keys.map(labelName);
  const scrapeAt = names.findIndex((n, i) => n === SCRAPE && goBool(annotations[keys[i]]) !== undefined);
  if (scrapeAt !== -1 && goBool(annotations[keys[scrapeAt]]) === false) return NONE;
  const podChoice = Object.hasOwn(annotations, MERGE_METRICS_ANNOTATION) ? goBool(annotations[MERGE_METRICS_ANNOTATION]) : undefined;
  if (!(podChoice ?? meshConfig.enablePrometheusMerge !== false)) return NONE;
  const agentPort = str(at(meshConfig, 'defaultConfig', 'statusPort') ?? 15020);
  const portAt = names.indexOf(PORT);
  // Already pointing at the agent: the pod was injected before, or its owner chose so.
  if (portAt !== -1 && annotations[keys[portAt]] === agentPort) return NONE;

  const config: { scrape: string; path: string; port: string; targets?: Array<{ port: string; path: string }> } = { scrape: '', path: '', port: '' };
  const replaced: string[] = [];
  for (const [i, key] of keys.entries()) {
    const name = names[i];
    if (name === PORT) config.port = annotations[key];
    else if (name === SCRAPE) config.scrape = annotations[key];
    else if (name === PATH) config.path = annotations[key];
    else if (name === TARGETS) {
      const targets = scrapeTargets(annotations[key]);
      if (targets !== undefined && targets.length > 0) config.targets = targets;
    } else continue;
    replaced.push(key);
  }
  let problem: string | undefined;
  if (config.targets !== undefined) {
    config.port = config.targets[0].port; // for agents that know no targets
    config.path = config.targets[0].path;
    for (const t of config.targets) problem ??= portProblem(t.port, agentPort, 'scrape targets', 'target ');
  } else if (config.port !== '') {
    problem = portProblem(config.port, agentPort, 'scrape configuration', '');
  }
  const empty = config.scrape === '' && config.path === '' && config.port === '' && config.targets === undefined;
  return {
    annotations: { 'prometheus.io/port': agentPort, 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/scrape': 'true' },
    replaced,
    scrapeConfig: empty ? '' : goJson(config),
    ...(problem === undefined ? {} : { problem }),
  };
}

const SECURE_PORT = 'prometheus_istio_io_secure_port';
const SECURE_PORT_ENV = 'ENVOY_SECURE_MERGED_METRICS_PORT';

/**
 * The prometheus.istio.io/secure-port Istio adds for a proxy whose env sets
 * ENVOY_SECURE_MERGED_METRICS_PORT (its ProxyConfig's proxyMetadata, or the pod's own
 * istio-proxy, whose entry wins): '' when unset or "0", or when the pod has the annotation
 * already in any spelling Istio matches.
 */
export function securePortOf(annotations: StringMap, metadataEnv: ReadonlyArray<{ name: string; value: string }>, declaredProxy: Readonly<Json> | null): string {
  if (Object.keys(annotations).some((key) => labelName(key) === SECURE_PORT)) return '';
  const declared = Array.isArray(declaredProxy?.env) ? (declaredProxy.env as unknown[]).find((e) => isPlainObject(e) && e.name === SECURE_PORT_ENV) : undefined;
  const value = declared !== undefined ? (declared as Json).value : metadataEnv.find((e) => e.name === SECURE_PORT_ENV)?.value;
  return typeof value === 'string' && value !== '' && value !== '0' ? value : '';
}
