// Which parts of the per-pod template context a template can read, found once per config
// version by scanning its text. The render cache keys on exactly these parts, so two pods
// that differ only in what no template reads (a StatefulSet's pod names, say) share one
// rendering. Errs towards reading more: a missed read would hand one pod another's output.

/** Every field of a context object (`'all'`), or the named ones. */
export type FieldReads = 'all' | readonly string[];

/** The per-pod context objects; `values` and `revision` are fixed per config version. */
export const POD_SCOPED = ['pod', 'namespace', 'settings', 'cluster', 'appProbers', 'istio'] as const;
export type PodScoped = (typeof POD_SCOPED)[number];
export type TemplateReads = Readonly<Record<PodScoped, FieldReads>> & {
  /** Reads the clock (JSON-e's `now`, `fromNow`, `$fromNow`): its output changes with time, never cached. */
  readonly clock: boolean;
};
const CLOCK = new Set(['now', 'fromNow']);

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/g;
const FIELD_AFTER = /^\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)/;
const DOT_BEFORE = /\.\s*$/;

/**
 * The strings of a template JSON-e evaluates: any with `${` (interpolated, keys too), the
 * string operands of an operator object (`$eval`, `$if`, `each(x)`, `by(x)`; its literal
 * `then`/`else` too, which only reads more), the keys of an operator's object operand
 * (`$switch`/`$match` conditions, `$let` names) and operator names (`$fromNow` reads the
 * clock). Any other string is literal text (a mount path `/etc/istio/pod`, a container
 * name `istio-proxy`): it reads nothing.
 */
function expressions(value: unknown, out: string[], operand = false, keysEvaluated = false): string[] {
  if (typeof value === 'string') {
    if (operand || value.includes('${')) out.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) expressions(item, out);
  } else if (typeof value === 'object' && value !== null) {
    const operator = Object.keys(value).some((key) => key.startsWith('$'));
    for (const [key, item] of Object.entries(value)) {
      if (keysEvaluated || key.startsWith('$') || key.includes('${')) out.push(key);
      expressions(item, out, operator, key.startsWith('$'));
    }
  }
  return out;
}

/**
 * Every string JSON-e evaluates (see expressions) is scanned for the identifiers `pod`,
 * `namespace`, `settings`, `cluster`, `appProbers` and `istio`. `pod.spec` reads
 * the whole spec (the key then holds it: large specs exceed the key limit and are rendered
 * every time). `pod.labels` reads one field; `pod` alone,
 * `pod[...]` or `defined('pod')` read all of it. An identifier right after `.` is a property
 * of something else (`metadata.namespace`), never the context variable. `now` and
 * `fromNow` (the `$fromNow` operator too) mean the template reads the clock.
 */
export function templateReads(source: unknown): TemplateReads {
  const fields: Record<PodScoped, Set<string> | 'all'> = {
    pod: new Set(), namespace: new Set(), settings: new Set(), cluster: new Set(), appProbers: new Set(), istio: new Set(),
  };
  let clock = false;
  for (const text of expressions(source, [])) {
    for (const match of text.matchAll(IDENTIFIER)) {
      const at = match.index!;
      if (DOT_BEFORE.test(text.slice(Math.max(0, at - 16), at))) continue;
      if (CLOCK.has(match[0])) clock = true;
      const name = match[0] as PodScoped;
      if (!(POD_SCOPED as readonly string[]).includes(name)) continue;
      const reads = fields[name];
      if (reads === 'all') continue;
      const field = FIELD_AFTER.exec(text.slice(at + name.length));
      if (field) reads.add(field[1]);
      else fields[name] = 'all';
    }
  }
  const done = (f: Set<string> | 'all'): FieldReads => (f === 'all' ? 'all' : [...f].sort());
  return {
    pod: done(fields.pod), namespace: done(fields.namespace), settings: done(fields.settings),
    cluster: done(fields.cluster), appProbers: done(fields.appProbers), istio: done(fields.istio), clock,
  };
}
