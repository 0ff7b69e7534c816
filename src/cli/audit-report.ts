// `audit`'s judgement of each pod and the report grouped by owning workload. Pure: audit.ts
// lists the cluster and restarts, this classifies, groups, counts and prints.
import type { PodInjection } from '../cluster/pod-injection.js';
import { RESTARTABLE, type WorkloadRef } from '../cluster/owners.js';
import { alignColumns } from './explain.js';

export type AuditState = 'missing' | 'stale' | 'foreign';
export const AUDIT_STATES: readonly AuditState[] = ['missing', 'stale', 'foreign'];

export interface AuditFinding {
  namespace: string;
  pod: string;
  state: AuditState;
  detail: string;
  /** Undefined for a pod without an owner. */
  workload?: WorkloadRef;
}

export interface PodJudgement {
  live: PodInjection;
  /** What the injector decides now for the pod as it was created (`inject`, `skip`, `deny`). */
  decision: 'inject' | 'skip' | 'deny';
  reason: string;
  /** Whether the apiserver sends such a pod to the injector. */
  sent: boolean;
  currentRevision: string;
}

/** The pod's state, or undefined when it is as it should be. */
export function classifyPod(j: PodJudgement): { state: AuditState; detail: string } | undefined {
  if (j.live.foreign.length > 0) {
    const ours = j.live.injected ? 'our proxy and ' : '';
    return { state: 'foreign', detail: `${ours}${j.live.foreign.join(', ')}` };
  }
  if (j.live.injected) {
    const revision = j.live.status?.revision || '(none)';
    return revision === j.currentRevision ? undefined : { state: 'stale', detail: `revision ${revision}, current ${j.currentRevision}` };
  }
  if (j.decision !== 'inject') return undefined;
  return { state: 'missing', detail: j.sent ? `no sidecar (reason ${j.reason})` : `no sidecar (reason ${j.reason}); the webhooks do not send such pods: run check` };
}

export type RestartOutcome = 'restarted' | 'would restart' | string;

export interface AuditGroup {
  namespace: string;
  /** Undefined: pods without an owner (never restarted). */
  workload?: WorkloadRef;
  counts: Record<AuditState, number>;
  pods: Array<Pick<AuditFinding, 'pod' | 'state' | 'detail'>>;
  /** With --restart: what happened to the workload, or why it cannot be restarted. */
  restart?: RestartOutcome;
}

function groupKey(f: AuditFinding): string {
  return f.workload ? `${f.namespace}\u0000${f.workload.kind}\u0000${f.workload.name}` : `${f.namespace}\u0000\uffff`;
}

/** Findings by namespace and workload (pods without owner last in their namespace), sorted. */
export function groupFindings(findings: readonly AuditFinding[]): AuditGroup[] {
  const groups = new Map<string, AuditGroup>();
  for (const f of findings) {
    const key = groupKey(f);
    let group = groups.get(key);
    if (!group) {
      group = { namespace: f.namespace, ...(f.workload ? { workload: f.workload } : {}), counts: { missing: 0, stale: 0, foreign: 0 }, pods: [] };
      groups.set(key, group);
    }
    group.counts[f.state] += 1;
    group.pods.push({ pod: f.pod, state: f.state, detail: f.detail });
  }
  for (const g of groups.values()) g.pods.sort((a, b) => a.pod.localeCompare(b.pod));
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
}

/** Why a group cannot be rolled out by a pod-template annotation, or undefined when it can. */
export function notRestartable(group: AuditGroup): string | undefined {
  if (!group.workload) return 'no owner: delete and re-create these pods yourself';
  if (Object.hasOwn(RESTARTABLE, group.workload.kind)) return undefined;
  if (group.workload.kind === 'Job' || group.workload.kind === 'CronJob') return `not restarted: a ${group.workload.kind}'s pods run to completion; its next pods get the current sidecar`;
  return `not restarted: ${group.workload.kind} is not rolled out by a template change; delete its pods to have them re-created`;
}

export interface AuditReport {
  scope: string;
  configRevision: string;
  /** `NS/NAME` of the ConfigMap judged with. */
  configMap: string;
  totals: Record<AuditState, number>;
  groups: AuditGroup[];
}

export function buildReport(scope: string, configRevision: string, configMap: string, findings: readonly AuditFinding[]): AuditReport {
  const totals = { missing: 0, stale: 0, foreign: 0 };
  for (const f of findings) totals[f.state] += 1;
  return { scope, configRevision, configMap, totals, groups: groupFindings(findings) };
}

export function formatAudit(report: AuditReport): string {
  const { totals } = report;
  let out = `${report.scope}, config revision ${report.configRevision} (configmap ${report.configMap}): ${totals.missing} missing, ${totals.stale} stale, ${totals.foreign} foreign\n`;
  if (report.groups.length === 0) return `${out}every pod that should have a sidecar has the current one\n`;
  out += alignColumns([
    ['NAMESPACE', 'WORKLOAD', 'MISSING', 'STALE', 'FOREIGN', 'RESTART'],
    ...report.groups.map((g) => [
      g.namespace, g.workload ? `${g.workload.kind}/${g.workload.name}` : '(no owner)',
      String(g.counts.missing), String(g.counts.stale), String(g.counts.foreign), g.restart ?? '',
    ]),
  ], '');
  out += '\n';
  out += alignColumns([
    ['NAMESPACE', 'POD', 'STATE', 'DETAIL'],
    ...report.groups.flatMap((g) => g.pods.map((p) => [g.namespace, p.pod, p.state, p.detail])),
  ], '');
  return out;
}
