// `check`'s answer for one pod or pod template, from what was read: the webhook routing,
// the injector's explanation with the live configuration, and (for an existing pod) what it
// carries. Pure; check.ts reads the cluster, this judges and prints.
import type { PodInjection } from '../cluster/pod-injection.js';
import type { RoutingSummary, WebhookVerdict } from '../cluster/webhook-match.js';
import { alignColumns, showSource, showValue, type Explanation } from './explain.js';

export type CheckVerdict = 'injected' | 'not-sent' | 'skipped' | 'denied' | 'missing' | 'stale' | 'conflict';

/** Exit codes (0 only for "injected as expected"); 1 and 2 are errors and usage. */
export const CHECK_EXIT: Readonly<Record<CheckVerdict, number>> = {
  injected: 0, 'not-sent': 3, skipped: 3, denied: 4, missing: 5, stale: 5, conflict: 5,
};

export interface CheckResult {
  object: { kind: string; name: string; namespace: string };
  verdict: CheckVerdict;
  exitCode: number;
  summary: string;
  webhooks: {
    sent: boolean;
    matched: Array<Pick<WebhookVerdict, 'configuration' | 'webhook' | 'failurePolicy'>>;
    excluded: WebhookVerdict[];
    conflicts: WebhookVerdict[];
    others: WebhookVerdict[];
    note?: string;
  };
  /** What the injector would decide now (explain's computation, without the patch). */
  decision: Omit<Explanation, 'patch' | 'file' | 'document' | 'path' | 'object'>;
  configRevision: string;
  /** `NS/NAME` of the ConfigMap judged with. */
  configMap: string;
  pod?: { injected: boolean; revision?: string; current: boolean; proxies: string[]; foreign: string[] };
}

export interface CheckInput {
  object: { kind: string; name: string; namespace: string };
  routing: RoutingSummary;
  explanation: Explanation;
  configRevision: string;
  configMap: string;
  /** For an existing pod. */
  live?: PodInjection;
}

function judge(input: CheckInput): { verdict: CheckVerdict; summary: string } {
  const { routing, explanation: e, live } = input;
  const sent = routing.ours.length > 0;
  const conflict = routing.conflicts.map((c) => `${c.webhook}${c.mesh ? ` (${c.mesh})` : ''}`).join(', ');
  if (live) {
    if (live.foreign.length > 0) return { verdict: 'conflict', summary: `the pod carries another mesh's proxy: ${live.foreign.join(', ')}` };
    if (live.injected) {
      if (live.status?.revision !== input.configRevision) {
        return { verdict: 'stale', summary: `injected by config revision ${live.status?.revision || '(none)'}, not the current ${input.configRevision}: restart its workload` };
      }
      if (conflict) return { verdict: 'conflict', summary: `injected, but other proxy injectors also match: ${conflict}` };
      return { verdict: 'injected', summary: `injected by the current config revision ${input.configRevision}` };
    }
    if (e.decision === 'inject' && sent) return { verdict: 'missing', summary: 'not injected although the injector would inject it now: created while the injector was down or before it opted in; restart its workload' };
  }
  if (e.decision === 'deny') return { verdict: 'denied', summary: `the injector refuses this pod: ${e.denial}` };
  if (e.decision === 'skip') return { verdict: 'skipped', summary: `the injector would not inject it (reason ${e.reason})` };
  if (!sent) {
    const why = routing.oursExcluded.length > 0 ? 'no webhook of ours selects it (see webhooks)' : 'our MutatingWebhookConfiguration is not registered';
    return { verdict: 'not-sent', summary: `the injector would inject it (reason ${e.reason}), but the apiserver does not send it: ${why}` };
  }
  if (conflict) return { verdict: 'conflict', summary: `would be injected, but other proxy injectors also match: ${conflict}` };
  return { verdict: 'injected', summary: `would be injected (reason ${e.reason}) through ${routing.ours.map((o) => o.webhook).join(', ')}` };
}

export function assessCheck(input: CheckInput): CheckResult {
  const { verdict, summary } = judge(input);
  const e = input.explanation;
  const live = input.live;
  return {
    object: input.object,
    verdict, exitCode: CHECK_EXIT[verdict], summary,
    webhooks: {
      sent: input.routing.ours.length > 0,
      matched: input.routing.ours.map(({ configuration, webhook, failurePolicy }) => ({ configuration, webhook, failurePolicy })),
      excluded: input.routing.oursExcluded, conflicts: input.routing.conflicts, others: input.routing.others,
      ...(input.routing.note ? { note: input.routing.note } : {}),
    },
    decision: {
      decision: e.decision, reason: e.reason, ...(e.denial !== undefined ? { denial: e.denial } : {}),
      templates: e.templates, settings: e.settings, warnings: e.warnings,
    },
    configRevision: input.configRevision,
    configMap: input.configMap,
    ...(live ? {
      pod: {
        injected: live.injected, ...(live.status ? { revision: live.status.revision } : {}),
        current: live.status?.revision === input.configRevision, proxies: live.ourContainers, foreign: live.foreign,
      },
    } : {}),
  };
}

function webhookLines(r: CheckResult): string[] {
  const w = r.webhooks;
  const lines: string[] = [];
  if (w.sent) lines.push(`sent to the injector by ${w.matched.map((m) => `${m.webhook} (configuration ${m.configuration}, failurePolicy ${m.failurePolicy})`).join(', ')}`);
  else lines.push('NOT sent to the injector');
  if (!w.sent) {
    for (const v of w.excluded) lines.push(`  ${v.webhook}: ${v.excludedBy} requires ${v.requirement}${v.fix ? `; fix: ${v.fix}` : ''}`);
    if (w.excluded.length === 0) lines.push('  no webhook of our MutatingWebhookConfiguration is registered (see --webhook-configuration)');
  }
  for (const c of w.conflicts) lines.push(`also matches: ${c.webhook} (configuration ${c.configuration}, ${c.mesh}): another proxy injector would mutate this pod too`);
  for (const o of w.others) lines.push(`also matches: ${o.webhook} (configuration ${o.configuration}): another mutating webhook for pods`);
  if (w.note) lines.push(`note: ${w.note}`);
  return lines;
}

export function formatCheck(r: CheckResult): string {
  let out = `${r.object.kind}/${r.object.name} in namespace ${r.object.namespace}\n`;
  out += alignColumns([
    ['verdict:', `${r.verdict} (exit ${r.exitCode}): ${r.summary}`],
    ['webhooks:', webhookLines(r)[0]],
    ...webhookLines(r).slice(1).map((l) => ['', l]),
    ['decision:', `${r.decision.decision}, reason ${r.decision.reason} (config revision ${r.configRevision}, configmap ${r.configMap})`],
    ...(r.decision.denial !== undefined ? [['denial:', r.decision.denial]] : []),
    ...(r.pod ? [['pod:', r.pod.injected
      ? `injected by revision ${r.pod.revision}${r.pod.current ? ' (current)' : ` (current is ${r.configRevision})`}; proxies ${r.pod.proxies.join(', ') || '(none running)'}`
      : 'not injected']] : []),
    ...(r.pod && r.pod.foreign.length > 0 ? [['foreign:', r.pod.foreign.join(', ')]] : []),
  ], '  ');
  if (r.decision.settings.length > 0 && r.decision.decision !== 'skip') {
    out += '  settings:\n';
    out += alignColumns([['SETTING', 'VALUE', 'SOURCE'], ...r.decision.settings.map((x) => [x.annotation, showValue(x.value), showSource(x)])], '    ');
  }
  if (r.decision.warnings.length > 0) out += `  warnings:\n${r.decision.warnings.map((w) => `    - ${w}\n`).join('')}`;
  return out;
}
