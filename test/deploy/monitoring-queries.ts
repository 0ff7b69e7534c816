// The PromQL that deploy/monitoring ships: the PrometheusRule's groups and the Grafana
// dashboard's queries, read from the rendered objects, and the metric names they use.
// Shared by test/deploy/monitoring.test.ts and the end-to-end test with a real Prometheus.
import type { Obj } from './render.js';

export interface RuleGroup {
  name: string;
  rules: Array<{ record?: string; alert?: string; expr: string; for?: string; labels?: Record<string, string> }>;
}

/** The rule groups of the one PrometheusRule among `objects`. */
export function ruleGroups(objects: Obj[]): RuleGroup[] {
  const rules = objects.filter((o) => o.kind === 'PrometheusRule');
  if (rules.length !== 1) throw new Error(`expected one PrometheusRule, found ${rules.length}`);
  return rules[0].spec.groups;
}

export interface DashboardQuery {
  panel: string;
  refId: string;
  expr: string;
}

/** Every query of every panel (rows included) of a Grafana dashboard. */
export function dashboardQueries(dashboard: Obj): DashboardQuery[] {
  const panels: Obj[] = (dashboard.panels ?? []).flatMap((p: Obj) => [p, ...(p.panels ?? [])]);
  return panels.flatMap((p) => (p.targets ?? []).map((target: Obj) => ({ panel: p.title, refId: target.refId, expr: target.expr })));
}

/** Grafana's variables, set as a test (or Prometheus' own UI) would: the job, a fixed rate window. */
export function withVariables(expr: string, values: { job: string; rateInterval: string }): string {
  return expr.replaceAll('$__rate_interval', values.rateInterval).replaceAll('$job', values.job);
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];
const PROMQL_WORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless',
  'bool', 'offset', 'rate', 'irate', 'increase', 'delta', 'histogram_quantile', 'absent', 'time', 'round', 'clamp_min',
  'clamp_max', 'label_values', 'le', 'topk', 'bottomk', 'vector', 'scalar', 'abs',
]);

/**
 * The metric names an expression selects (recording rules, with a colon, excluded): bare
 * identifiers outside label matchers, strings and `by (...)` lists, minus PromQL's words.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '[]');
  const names = new Set<string>();
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    if (word.includes(':') || PROMQL_WORDS.has(word)) continue;
    const after = bare.slice(match.index + word.length).trimStart();
    if (after.startsWith('(')) continue; // a function
    names.add(word);
  }
  return [...names].sort();
}

/** A histogram's series names map to the histogram: x_bucket → x. */
export function familyOf(name: string, histograms: ReadonlySet<string>): string {
  const suffix = HISTOGRAM_SUFFIXES.find((s) => name.endsWith(s) && histograms.has(name.slice(0, -s.length)));
  return suffix ? name.slice(0, -suffix.length) : name;
}
