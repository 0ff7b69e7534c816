// `sidecar-injector check [-n NS] TARGET | -f FILE`: against a live cluster, whether the
// apiserver calls the injector for a pod (every MutatingWebhookConfiguration's rules and
// selectors), what the injector decides with the configuration in force, and for an
// existing pod, whether it is injected by the current config revision.
import { readFile } from 'node:fs/promises';
import type { LiveCluster } from '../cluster/live.js';
import { inspectPod, withoutInjection } from '../cluster/pod-injection.js';
import { evaluateWebhooks, summarizeRouting } from '../cluster/webhook-match.js';
import { evaluatePod } from '../injection/engine.js';
import type { Pod } from '../injection/types.js';
import { assessCheck, formatCheck, type CheckResult } from './check-model.js';
import { InputError, locatePods, parseInput, type PodSite } from './documents.js';
import { explanationOf } from './explain.js';
import { helpRequested, parseCommandArgs, reportError, UsageError, type CliIo } from './command.js';
import { LIVE_FLAGS_HELP, LIVE_OPTIONS, openLiveContext, outputFormat, reportClusterError, type LiveContext } from './live-context.js';
import { misplacedKeyWarnings } from './routing-warnings.js';

export const CHECK_USAGE = `Usage: sidecar-injector check [-n NAMESPACE] TARGET [flags]
       sidecar-injector check -f FILE [flags]

Asks the live cluster, for a pod, a workload's pod template, the manifests in FILE (not
yet applied) or any pod of a namespace:
  - whether the apiserver sends the pod to the injector: every MutatingWebhookConfiguration's
    rules, namespaceSelector and objectSelector, as the apiserver of that version evaluates
    them; which webhook matches, or which selector excludes it and the label that would fix
    it; other proxy injectors (another mesh, a second registration) that match too;
  - what the injector decides with the configuration in force (its ConfigMap) and the
    namespace's labels and annotations: decision, reason, every setting and its source;
  - for an existing pod: whether it is injected, by which config revision, and whether
    that is the current one.

TARGET: pod/NAME, KIND/NAME (deployment, statefulset, daemonset, replicaset,
replicationcontroller, job, cronjob; short names deploy, sts, ds, rs, rc, cj), or
namespace/NAME (a pod without labels or annotations there).

Flags
  -n, --namespace NS          the target's namespace (default: the kubeconfig context's,
                              else default)
  -f, --filename FILE         manifests to judge before applying them (YAML or JSON)
${LIVE_FLAGS_HELP}
Exit codes: 0 injected as expected (verdict injected); 1 error (cluster unreachable, not
found, invalid input or configuration); 2 usage error; 3 not injected (verdicts not-sent:
no webhook sends it, skipped: the injector decides not to); 4 denied (the injector refuses
the pod); 5 needs attention (missing: should have a sidecar and has none; stale: injected by
an older config revision; conflict: another proxy injector matches or its proxy is present).
With several pods (-f), the highest code.
`;

const CHECK_OPTIONS = {
  ...LIVE_OPTIONS,
  namespace: { type: 'string', short: 'n' },
  filename: { type: 'string', short: 'f' },
} as const;

/** Kinds by the names kubectl accepts; CronJob's apiVersion depends on the server. */
const KINDS: ReadonlyArray<[string[], string, string]> = [
  [['pod', 'pods', 'po'], 'Pod', 'v1'],
  [['deployment', 'deployments', 'deploy'], 'Deployment', 'apps/v1'],
  [['statefulset', 'statefulsets', 'sts'], 'StatefulSet', 'apps/v1'],
  [['daemonset', 'daemonsets', 'ds'], 'DaemonSet', 'apps/v1'],
  [['replicaset', 'replicasets', 'rs'], 'ReplicaSet', 'apps/v1'],
  [['replicationcontroller', 'replicationcontrollers', 'rc'], 'ReplicationController', 'v1'],
  [['job', 'jobs'], 'Job', 'batch/v1'],
  [['cronjob', 'cronjobs', 'cj'], 'CronJob', 'batch/v1'],
  [['namespace', 'namespaces', 'ns'], 'Namespace', 'v1'],
];

interface Subject {
  site: PodSite;
  /** The pod's own state (pod/NAME only). */
  livePod?: Pod;
  objectMeta?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  extraWarnings?: string[];
}

function parseTarget(target: string): { kind: string; apiVersion: string; name: string } {
  const slash = target.indexOf('/');
  const word = target.slice(0, slash).toLowerCase();
  const name = target.slice(slash + 1);
  const found = KINDS.find(([names]) => names.includes(word));
  if (slash <= 0 || name === '' || name.includes('/') || !found) {
    throw new UsageError(`TARGET "${target}": expected KIND/NAME with KIND one of pod, deployment, statefulset, daemonset, replicaset, replicationcontroller, job, cronjob, namespace`);
  }
  return { kind: found[1], apiVersion: found[2], name };
}

function siteOf(object: unknown, source: string): PodSite {
  const sites = locatePods({ index: 1, value: object }, source);
  if (sites.length !== 1) throw new InputError({ source }, 'expected one pod or pod template');
  return sites[0];
}

async function clusterSubjects(ctx: LiveContext, target: string, namespace: string): Promise<Subject[]> {
  const { kind, apiVersion: preferred, name } = parseTarget(target);
  if (kind === 'Namespace') {
    const pod: Pod = { metadata: { name: '(any pod)', namespace: name, labels: {} }, spec: { containers: [{ name: 'app', image: 'app' }] } };
    const site: PodSite = { source: target, document: 1, objectPath: [], path: [], object: { kind: 'Namespace', name, namespace: name }, pod };
    if (!(await ctx.namespace(name))) throw new InputError({ source: target }, `namespace ${name} not found`);
    return [{ site }];
  }
  // CronJob is batch/v1 from Kubernetes 1.21, batch/v1beta1 before.
  const apiVersion = kind === 'CronJob' && ctx.serverMinor < 21 ? 'batch/v1beta1' : preferred;
  const object = await ctx.cluster.read(apiVersion, kind, namespace, name);
  if (!object) throw new InputError({ source: target }, `${kind} ${name} not found in namespace ${namespace}`);
  object.apiVersion ??= apiVersion;
  object.kind ??= kind;
  const site = siteOf(object, target);
  site.object.namespace = namespace;
  if (kind === 'Pod') return [{ site: { ...site, pod: withoutInjection(site.pod) }, livePod: site.pod }];
  return [{ site, objectMeta: object.metadata }];
}

async function fileSubjects(file: string, namespace: string | undefined, ctx: LiveContext): Promise<Subject[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError({ source: file }, `cannot read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const input = parseInput(text, file);
  return input.documents.flatMap((doc) => locatePods(doc, file).map((site): Subject => {
    const object = site.objectPath.reduce<unknown>((v, seg) => (v as Record<string | number, unknown> | undefined)?.[seg], doc.value) as { metadata?: Subject['objectMeta'] & { namespace?: string } } | undefined;
    const ns = object?.metadata?.namespace || namespace || ctx.defaultNamespace;
    return { site: { ...site, object: { ...site.object, namespace: ns } }, objectMeta: object?.metadata };
  }));
}

async function assess(ctx: LiveContext, subject: Subject): Promise<CheckResult> {
  const { site } = subject;
  const nsName = site.object.namespace;
  const found = await ctx.namespace(nsName);
  const warnings = [...(subject.extraWarnings ?? []), ...misplacedKeyWarnings(site.object.kind, site.object.name, subject.objectMeta)];
  if (!found) warnings.push(`namespace ${nsName} does not exist yet: judged as a namespace without labels or annotations`);
  const view = found ?? { name: nsName, labels: {}, annotations: {} };
  const matchSubject = { namespace: { name: nsName, labels: view.labels }, podLabels: site.pod.metadata?.labels ?? {}, serverMinor: ctx.serverMinor };
  const routing = summarizeRouting(evaluateWebhooks(ctx.webhooks, matchSubject), ctx.ownConfiguration, matchSubject);
  const outcome = evaluatePod(site.pod, view, ctx.snapshot, { kind: 'Pod', operation: 'CREATE' });
  const explanation = explanationOf({ site, outcome });
  explanation.warnings = [...explanation.warnings, ...warnings];
  return assessCheck({
    object: { kind: site.object.kind, name: site.object.name, namespace: nsName },
    routing, explanation, configRevision: ctx.snapshot.revision, configMap: ctx.configMap,
    ...(subject.livePod ? { live: inspectPod(subject.livePod) } : {}),
  });
}

/** `cluster` replaces the API client (tests). */
export async function runCheck(argv: string[], io: CliIo, env: NodeJS.ProcessEnv = process.env, cluster?: LiveCluster): Promise<number> {
  try {
    const { values, positionals } = parseCommandArgs(argv, CHECK_OPTIONS, true);
    if (helpRequested(values, CHECK_USAGE, io)) return 0;
    const output = outputFormat(values);
    if (values.filename !== undefined && positionals.length > 0) throw new UsageError('give either TARGET or -f FILE, not both');
    if (values.filename === undefined && positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing TARGET (e.g. deployment/web) or -f FILE' : `one TARGET, got ${positionals.join(' ')}`);
    const ctx = await openLiveContext(values, env, cluster);
    const subjects = values.filename !== undefined
      ? await fileSubjects(values.filename, values.namespace, ctx)
      : await clusterSubjects(ctx, positionals[0], values.namespace || ctx.defaultNamespace);
    const results: CheckResult[] = [];
    for (const subject of subjects) results.push(await assess(ctx, subject));
    if (output === 'json') io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else io.stdout.write(results.length === 0 ? 'no pods or pod templates found\n' : results.map(formatCheck).join('\n'));
    return Math.max(0, ...results.map((r) => r.exitCode));
  } catch (err) {
    return reportClusterError(err, io, 'check') ?? reportError(err, io, 'check', CHECK_USAGE);
  }
}
