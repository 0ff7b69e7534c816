// `sidecar-injector audit [-n NS | -A] [--restart [--dry-run]]`: the pods that should have
// a sidecar and have none (missing), run one from an older config revision (stale), or carry
// another mesh's proxy (foreign), grouped by the workload that owns them; --restart rolls
// those workloads out as `kubectl rollout restart` does.
import { indexOwners, restartPatch, RESTARTABLE, workloadOf } from '../cluster/owners.js';
import type { LiveCluster } from '../cluster/live.js';
import { inspectPod, withoutInjection } from '../cluster/pod-injection.js';
import { evaluateWebhooks, summarizeRouting } from '../cluster/webhook-match.js';
import { errorMessage } from '../cluster/log.js';
import { decide } from '../injection/decide.js';
import type { Pod } from '../injection/types.js';
import { buildReport, classifyPod, formatAudit, notRestartable, type AuditFinding, type AuditReport } from './audit-report.js';
import { helpRequested, parseCommandArgs, reportError, UsageError, type CliIo } from './command.js';
import { LIVE_FLAGS_HELP, LIVE_OPTIONS, openLiveContext, outputFormat, reportClusterError, type LiveContext } from './live-context.js';

export const AUDIT_USAGE = `Usage: sidecar-injector audit [-n NAMESPACE | -A] [--restart [--dry-run]] [flags]

Lists, grouped by owning workload (a ReplicaSet's Deployment, a Job's CronJob):
  missing  pods that should have a sidecar with the configuration in force and have none
           (created while the injector was down under failurePolicy Ignore, or before
           their namespace opted in)
  stale    pods injected by a config revision other than the current one
  foreign  pods with another mesh's proxy (also beside ours)
Running and pending pods only; finished pods are left out.

Flags
  -n, --namespace NS          one namespace (default: the kubeconfig context's, else default)
  -A, --all-namespaces        every namespace
      --restart               roll out the Deployments, StatefulSets and DaemonSets that own
                              listed pods, as kubectl rollout restart does (pod-template
                              annotation kubectl.kubernetes.io/restartedAt); pods without an
                              owner, and Jobs, are listed and never touched
      --dry-run               with --restart: send the patches as server dry runs; nothing
                              changes
${LIVE_FLAGS_HELP}
Exit codes: 0 no pod listed; 1 error (also a restart that failed); 2 usage error; 3 pods
listed (also after --restart: the controllers replace them asynchronously).
`;

const AUDIT_OPTIONS = {
  ...LIVE_OPTIONS,
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  restart: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} as const;

const FINISHED = new Set(['Succeeded', 'Failed']);

async function findings(ctx: LiveContext, namespace: string | undefined): Promise<AuditFinding[]> {
  const [pods, replicaSets, jobs] = await Promise.all([
    ctx.cluster.list('v1', 'Pod', namespace),
    ctx.cluster.list('apps/v1', 'ReplicaSet', namespace),
    ctx.cluster.list('batch/v1', 'Job', namespace),
  ]);
  const index = new Map([...indexOwners('ReplicaSet', replicaSets), ...indexOwners('Job', jobs)]);
  const found: AuditFinding[] = [];
  for (const object of pods) {
    const pod = object as Pod & { status?: { phase?: string } };
    const ns = pod.metadata?.namespace ?? '';
    if (FINISHED.has(pod.status?.phase ?? '')) continue;
    const view = (await ctx.namespace(ns)) ?? { name: ns, labels: {}, annotations: {} };
    const original = withoutInjection(pod);
    const decision = decide(original, view, ctx.snapshot, { kind: 'Pod', operation: 'CREATE' });
    const subject = { namespace: { name: ns, labels: view.labels }, podLabels: original.metadata?.labels ?? {}, serverMinor: ctx.serverMinor };
    const sent = summarizeRouting(evaluateWebhooks(ctx.webhooks, subject), ctx.ownConfiguration, subject).ours.length > 0;
    const state = classifyPod({
      live: inspectPod(pod), decision: decision.inject ? 'inject' : 'skip', reason: decision.reason, sent, currentRevision: ctx.snapshot.revision,
    });
    if (!state) continue;
    const workload = workloadOf(pod, ns, index);
    found.push({ namespace: ns, pod: pod.metadata?.name ?? '', ...state, ...(workload ? { workload } : {}) });
  }
  return found;
}

/** Patches each restartable workload once; records the outcome on its group. Resolves whether all patches succeeded. */
async function restart(ctx: LiveContext, report: AuditReport, dryRun: boolean): Promise<boolean> {
  const at = new Date();
  let ok = true;
  for (const group of report.groups) {
    const why = notRestartable(group);
    if (why || !group.workload) {
      group.restart = why;
      continue;
    }
    const { kind, name, namespace } = group.workload;
    try {
      await ctx.cluster.mergePatch(RESTARTABLE[kind].apiVersion, kind, namespace, name, restartPatch(at), dryRun);
      group.restart = dryRun ? 'would restart' : 'restarted';
    } catch (err) {
      ok = false;
      group.restart = `restart failed: ${errorMessage(err)}`;
    }
  }
  return ok;
}

/** `cluster` replaces the API client (tests). */
export async function runAudit(argv: string[], io: CliIo, env: NodeJS.ProcessEnv = process.env, cluster?: LiveCluster): Promise<number> {
  try {
    const { values } = parseCommandArgs(argv, AUDIT_OPTIONS);
    if (helpRequested(values, AUDIT_USAGE, io)) return 0;
    const output = outputFormat(values);
    if (values['all-namespaces'] && values.namespace !== undefined) throw new UsageError('-n and -A exclude each other');
    if (values['dry-run'] && !values.restart) throw new UsageError('--dry-run applies to --restart; add --restart');
    const ctx = await openLiveContext(values, env, cluster);
    const namespace = values['all-namespaces'] ? undefined : values.namespace || ctx.defaultNamespace;
    const scope = namespace === undefined ? 'all namespaces' : `namespace ${namespace}`;
    const report = buildReport(scope, ctx.snapshot.revision, ctx.configMap, await findings(ctx, namespace));
    const restarted = values.restart ? await restart(ctx, report, values['dry-run'] === true) : true;
    io.stdout.write(output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatAudit(report));
    if (!restarted) return 1;
    return report.groups.length > 0 ? 3 : 0;
  } catch (err) {
    return reportClusterError(err, io, 'audit') ?? reportError(err, io, 'audit', AUDIT_USAGE);
  }
}
