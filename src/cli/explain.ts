// `sidecar-injector explain -f FILE|-`: for each pod and pod template, what the injector
// decides and why, each effective setting and where it came from, the warnings and the
// patch. The same computation as `inject`, showing its intermediate results.
import { SETTING_BY_NAME } from '../injection/settings-catalogue.js';
import type { EffectiveSetting, PatchOperation, ReasonCode, SettingSource } from '../injection/types.js';
import { describeWhere, pointerOf, type PathSegment } from './documents.js';
import { HELP_FLAG_HELP, helpRequested, parseCommandArgs, reportError, UsageError, type CliIo } from './command.js';
import { evaluateSites, INPUT_FLAGS_HELP, INPUT_OPTIONS, prepareInput, type PodResult } from './input/read.js';
import { defaultRoutingWarning, misplacedKeyWarnings } from './routing-warnings.js';

export const EXPLAIN_USAGE = `Usage: sidecar-injector explain -f FILE|- [flags]

Shows, for each pod and pod template in FILE: the decision (inject, skip or deny), its
reason code, each effective setting with its value and where it came from (pod, namespace
or config, and the key), the warnings, and the patch: JSON Patch operations against that
document (a workload's operations go into its pod template).

Flags
${INPUT_FLAGS_HELP}  -o, --output text|json      text for people (default), or one JSON array for programs
${HELP_FLAG_HELP}
Exit codes: 0 explained (also when a pod would be refused: that is the explanation);
1 invalid input or configuration; 2 usage error.
`;

const EXPLAIN_OPTIONS = { ...INPUT_OPTIONS, output: { type: 'string', short: 'o' } } as const;
const OUTPUTS = ['text', 'json'] as const;

export type DecisionWord = 'inject' | 'skip' | 'deny';

/** One pod's explanation: the element of `explain --output json`. */
export interface Explanation {
  file: string;
  /** 1-based document index in the input. */
  document: number;
  /** JSON pointer to the pod or pod template inside the document ("" for a Pod document). */
  path: string;
  object: { apiVersion?: string; kind: string; name: string; namespace: string };
  decision: DecisionWord;
  reason: ReasonCode;
  /** Why the pod would be refused (decision `deny`). */
  denial?: string;
  templates: string[];
  /** `key`: the annotation (source pod or namespace) or the config.yaml field (config) that set it. */
  settings: Array<{ name: string; annotation: string; value: unknown; source: SettingSource; key?: string }>;
  warnings: string[];
  /** JSON Patch (RFC 6902) against the document, paths from its root. */
  patch: PatchOperation[];
}

/** The key that supplied a setting; for a config default, its place in config.yaml. */
function keyOf(s: EffectiveSetting): string | undefined {
  if (s.key !== undefined || s.source !== 'config') return s.key;
  const spec = SETTING_BY_NAME.get(s.name);
  if (!spec) return undefined;
  return spec.valuesPath ? `values.${spec.valuesPath.join('.')}` : 'defaultTemplates';
}

export function explanationOf({ site, outcome }: PodResult): Explanation {
  const decision: DecisionWord = outcome.denial !== undefined ? 'deny' : outcome.plan ? 'inject' : 'skip';
  const at = pointerOf(site.path);
  return {
    file: site.source,
    document: site.document,
    path: at,
    object: site.object,
    decision,
    reason: outcome.decision.reason,
    ...(outcome.denial !== undefined ? { denial: outcome.denial } : {}),
    templates: outcome.templates,
    settings: outcome.settings.map((s) => {
      const key = keyOf(s);
      return { name: s.name, annotation: s.annotation, value: s.value, source: s.source, ...(key !== undefined ? { key } : {}) };
    }),
    warnings: outcome.warnings,
    patch: outcome.patch.map((op) => ({ ...op, path: at + op.path })),
  };
}

// --- Text ------------------------------------------------------------------------------

export function showValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map((v) => String(v)).join(',');
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (value === undefined) return '(unset)';
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

export function showSource(s: Explanation['settings'][number]): string {
  const where = s.source === 'config' ? 'config' : `${s.source} annotation`;
  return s.key !== undefined ? `${where} ${s.key}` : where;
}

/** Rows as columns padded to the widest cell (the last column is not padded). */
export function alignColumns(rows: string[][], indent: string): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows.map((r) => indent + r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]))).join('  ').trimEnd()).join('\n') + '\n';
}

function indentLines(text: string, indent: string): string {
  return text.split('\n').map((line) => indent + line).join('\n') + '\n';
}

export function formatExplanation(e: Explanation): string {
  // The pointer names the pod template of a workload (or a List item).
  let out = `${describeWhere({ source: e.file, document: e.document, pointer: e.path, object: `${e.object.kind}/${e.object.name}` })}\n`;
  out += alignColumns([
    ['namespace:', e.object.namespace],
    ['decision:', e.decision],
    ['reason:', e.reason],
    ...(e.denial !== undefined ? [['denial:', e.denial]] : []),
    ...(e.templates.length > 0 ? [['templates:', e.templates.join(', ')]] : []),
  ], '  ');
  if (e.settings.length > 0) {
    out += '  settings:\n';
    out += alignColumns([['SETTING', 'VALUE', 'SOURCE'], ...e.settings.map((x) => [x.annotation, showValue(x.value), showSource(x)])], '    ');
  }
  if (e.warnings.length > 0) out += `  warnings:\n${e.warnings.map((w) => `    - ${w}\n`).join('')}`;
  if (e.patch.length > 0) out += `  patch (JSON Patch against the document):\n${indentLines(JSON.stringify(e.patch, null, 2), '    ')}`;
  return out;
}

export function formatText(explanations: Explanation[], file: string): string {
  if (explanations.length === 0) return `${file}: no pods or pod templates found\n`;
  return explanations.map(formatExplanation).join('\n');
}

/** Adds the warnings about pods deploy/'s webhooks would not send, and misplaced keys. */
function withRoutingWarnings(e: Explanation, { site, outcome }: PodResult, prepared: { input: { documents: Array<{ index: number; value: unknown }> }; namespace: { labels: Record<string, string> } }): Explanation {
  const doc = prepared.input.documents.find((d) => d.index === site.document);
  const object = site.objectPath.reduce<unknown>((v, seg: PathSegment) => (v as Record<string, unknown> | undefined)?.[seg as string], doc?.value);
  const extra = misplacedKeyWarnings(site.object.kind, site.object.name, (object as { metadata?: object } | undefined)?.metadata);
  const routing = outcome.decision.inject ? defaultRoutingWarning(site.pod, { name: site.object.namespace, labels: prepared.namespace.labels }) : undefined;
  if (routing) extra.push(routing);
  return extra.length > 0 ? { ...e, warnings: [...e.warnings, ...extra] } : e;
}

// --- Command ---------------------------------------------------------------------------

export async function runExplain(argv: string[], io: CliIo): Promise<number> {
  try {
    const { values } = parseCommandArgs(argv, EXPLAIN_OPTIONS);
    if (helpRequested(values, EXPLAIN_USAGE, io)) return 0;
    const output = values.output ?? 'text';
    if (!(OUTPUTS as readonly string[]).includes(output)) {
      throw new UsageError(`--output: "${output}" is not an output format; expected ${OUTPUTS.join(' or ')}`);
    }
    const prepared = await prepareInput(values, io);
    const explanations = evaluateSites(prepared).map((r) => withRoutingWarnings(explanationOf(r), r, prepared));
    io.stdout.write(output === 'json' ? `${JSON.stringify(explanations, null, 2)}\n` : formatText(explanations, prepared.input.source));
    return 0;
  } catch (err) {
    return reportError(err, io, 'explain', EXPLAIN_USAGE);
  }
}
