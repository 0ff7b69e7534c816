// Field-by-field comparison of an injected pod with Istio's golden: the fields the issue
// names, each difference reported as a path. Empty objects and absent fields are the same
// (Go writes `resources: {}` for every container); env and annotation values that are JSON
// are compared as JSON.
import type { Pod } from '../../../src/injection/types.js';

type Json = Record<string, any>;

const CONTAINER_FIELDS = [
  'image', 'imagePullPolicy', 'command', 'args', 'env', 'ports', 'readinessProbe', 'livenessProbe', 'startupProbe',
  'resources', 'securityContext', 'volumeMounts', 'lifecycle', 'restartPolicy',
] as const;

/** Our engine's own bookkeeping annotation: not Istio's, not compared (README, differences). */
const OWN_ANNOTATIONS = ['sidecar-injector.io/status'];

function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const out: Json = {};
    for (const k of Object.keys(v).sort()) {
      const item = normalize((v as Json)[k]);
      if (item === undefined || item === null) continue;
      if (typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length === 0) continue;
      out[k] = item;
    }
    return out;
  }
  return v;
}

function asJson(s: unknown): unknown {
  if (typeof s !== 'string') return s;
  const t = s.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return s;
  try {
    return { json: JSON.parse(t) };
  } catch {
    return s;
  }
}

// Go omits a probe's zero-valued integers (initialDelaySeconds: 0), as the API server does.
function withoutZeroInts(probe: unknown): unknown {
  if (!probe || typeof probe !== 'object') return probe;
  return Object.fromEntries(Object.entries(probe).filter(([, v]) => v !== 0));
}

function canonical(v: unknown): string | undefined {
  const n = normalize(v);
  if (n && typeof n === 'object' && !Array.isArray(n) && Object.keys(n).length === 0) return undefined;
  return JSON.stringify(n);
}

const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);
const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? 'absent' : s.length > 160 ? `${s.slice(0, 160)}...` : s;
};

function compareEnv(path: string, gotRaw: unknown, wantRaw: unknown, out: string[]): void {
  const got: Json[] = Array.isArray(gotRaw) ? gotRaw : [];
  const want: Json[] = Array.isArray(wantRaw) ? wantRaw : [];
  const names = (l: Json[]) => l.map((e) => e.name);
  if (!same(names(got), names(want))) out.push(`${path}.env names: got ${show(names(got))}, want ${show(names(want))}`);
  const byName = new Map(got.map((e) => [e.name, e]));
  for (const w of want) {
    const g = byName.get(w.name);
    if (!g) continue;
    // Go omits an empty value: `value: ""` and no value are the same variable.
    if (!same(asJson(g.value || undefined), asJson(w.value || undefined)) || !same(g.valueFrom, w.valueFrom)) {
      out.push(`${path}.env.${w.name}: got ${show(g.value ?? g.valueFrom)}, want ${show(w.value ?? w.valueFrom)}`);
    }
  }
}

function compareContainers(kind: string, got: Json[] = [], want: Json[] = [], out: string[]): void {
  const names = (l: Json[]) => l.map((c) => c.name);
  if (!same(names(got), names(want))) out.push(`${kind} names: got ${show(names(got))}, want ${show(names(want))}`);
  const byName = new Map(got.map((c) => [c.name, c]));
  for (const w of want) {
    const g = byName.get(w.name);
    if (!g) continue;
    for (const field of CONTAINER_FIELDS) {
      const path = `${kind}[${w.name}]`;
      if (field === 'env') compareEnv(path, g.env, w.env, out);
      else if (field.endsWith('Probe')) {
        if (!same(withoutZeroInts(g[field]), withoutZeroInts(w[field]))) out.push(`${path}.${field}: got ${show(g[field])}, want ${show(w[field])}`);
      } else if (!same(g[field], w[field])) out.push(`${path}.${field}: got ${show(g[field])}, want ${show(w[field])}`);
    }
  }
}

function compareMap(kind: string, got: Json = {}, want: Json = {}, out: string[]): void {
  for (const key of new Set([...Object.keys(got), ...Object.keys(want)])) {
    if (OWN_ANNOTATIONS.includes(key)) continue;
    if (!same(asJson(got[key]), asJson(want[key]))) out.push(`${kind}[${key}]: got ${show(got[key])}, want ${show(want[key])}`);
  }
}

/** Every difference between our pod and Istio's, as readable lines; empty when identical. */
export function podDifferences(got: Pod, want: Pod): string[] {
  const out: string[] = [];
  const g = got as Json;
  const w = want as Json;
  compareContainers('initContainers', g.spec?.initContainers, w.spec?.initContainers, out);
  compareContainers('containers', g.spec?.containers, w.spec?.containers, out);
  if (!same(g.spec?.volumes, w.spec?.volumes)) out.push(`volumes: got ${show(g.spec?.volumes?.map((v: Json) => v.name))}, want ${show(w.spec?.volumes?.map((v: Json) => v.name))}${same((g.spec?.volumes ?? []).map((v: Json) => v.name), (w.spec?.volumes ?? []).map((v: Json) => v.name)) ? ' (same names, different sources)' : ''}`);
  if (!same(g.spec?.imagePullSecrets, w.spec?.imagePullSecrets)) out.push(`imagePullSecrets: got ${show(g.spec?.imagePullSecrets)}, want ${show(w.spec?.imagePullSecrets)}`);
  compareMap('labels', g.metadata?.labels, w.metadata?.labels, out);
  compareMap('annotations', g.metadata?.annotations, w.metadata?.annotations, out);
  return out;
}
