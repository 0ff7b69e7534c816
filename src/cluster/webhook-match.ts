// Which MutatingWebhookConfigurations the apiserver would call for a pod CREATE, evaluated
// the way the apiserver does: rules, then namespaceSelector on the namespace's labels, then
// objectSelector on the pod's labels. Pure: the caller reads the objects from the cluster.
// For a webhook that does not match, the first requirement that fails and a label change
// that would satisfy it; other webhooks that match are classified (another mesh's injector,
// a second registration of ours).

/** The label every namespace carries from Kubernetes 1.21 (set by the apiserver). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface Requirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

export interface SelectorLike {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] | null }> | null;
}

export interface RuleLike {
  apiGroups?: string[] | null;
  apiVersions?: string[] | null;
  operations?: string[] | null;
  resources?: string[] | null;
  scope?: string | null;
}

export interface WebhookLike {
  name: string;
  rules?: RuleLike[] | null;
  namespaceSelector?: SelectorLike | null;
  objectSelector?: SelectorLike | null;
  failurePolicy?: string | null;
  clientConfig?: { url?: string | null; service?: { name?: string; namespace?: string; path?: string | null } | null } | null;
}

export interface WebhookConfigurationLike {
  metadata?: { name?: string };
  webhooks?: WebhookLike[] | null;
}

export type Mesh = 'sidecar-injector' | 'istio' | 'linkerd' | 'kuma' | 'consul' | 'dapr' | 'appmesh' | 'osm';

export interface WebhookVerdict {
  configuration: string;
  webhook: string;
  /** Whose injector this is, from its names (undefined: not a known proxy injector). */
  mesh?: Mesh;
  matches: boolean;
  /** What stopped it: the rules (not pods CREATE), or one selector. */
  excludedBy?: 'rules' | 'namespaceSelector' | 'objectSelector';
  /** The failing requirement, e.g. `sidecar-injection In (enabled)`. */
  requirement?: string;
  /** A label change that satisfies that requirement, e.g. `namespace label sidecar-injection=enabled`. */
  fix?: string;
  failurePolicy: string;
}

export interface MatchSubject {
  namespace: { name: string; labels: Readonly<Record<string, string>> };
  podLabels: Readonly<Record<string, string>>;
  /** The apiserver's minor version (1.x); below 21 namespaces lack kubernetes.io/metadata.name. */
  serverMinor: number;
}

/** matchLabels and matchExpressions as one list of requirements (matchLabels first). */
export function requirementsOf(selector: SelectorLike | null | undefined): Requirement[] {
  const fromLabels = Object.entries(selector?.matchLabels ?? {}).map(([key, value]): Requirement => ({ key, operator: 'In', values: [value] }));
  const fromExpressions = (selector?.matchExpressions ?? []).map((e): Requirement => ({
    key: e.key, operator: e.operator as Requirement['operator'], values: e.values ?? [],
  }));
  return [...fromLabels, ...fromExpressions];
}

export function requirementHolds(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const present = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'In': return present && r.values.includes(labels[r.key]);
    case 'NotIn': return !present || !r.values.includes(labels[r.key]);
    case 'Exists': return present;
    case 'DoesNotExist': return !present;
    default: return false; // the apiserver refuses unknown operators when the configuration is written
  }
}

/** The first requirement `labels` fail, or undefined when the selector matches (an absent selector matches everything). */
export function firstFailing(selector: SelectorLike | null | undefined, labels: Readonly<Record<string, string>>): Requirement | undefined {
  return requirementsOf(selector).find((r) => !requirementHolds(r, labels));
}

export function describeRequirement(r: Requirement): string {
  return r.operator === 'Exists' || r.operator === 'DoesNotExist' ? `${r.key} ${r.operator}` : `${r.key} ${r.operator} (${r.values.join(', ')})`;
}

/** A label change on `on` that would satisfy `r`. */
export function fixFor(r: Requirement, on: 'namespace' | 'pod'): string {
  switch (r.operator) {
    case 'In': return `${on} label ${r.key}=${r.values[0] ?? ''}`;
    case 'Exists': return `${on} label ${r.key} (any value)`;
    case 'DoesNotExist': return `remove the ${on} label ${r.key}`;
    case 'NotIn': return `remove the ${on} label ${r.key}, or set it to a value other than ${r.values.join(', ')}`;
  }
}

function includesOrStar(list: readonly string[] | null | undefined, value: string): boolean {
  return (list ?? []).some((v) => v === value || v === '*');
}

/** Whether one of the rules covers CREATE of core/v1 pods (not a subresource). */
export function rulesCoverPodCreate(rules: readonly RuleLike[] | null | undefined): boolean {
  return (rules ?? []).some((rule) => includesOrStar(rule.operations, 'CREATE')
    && includesOrStar(rule.apiGroups, '')
    && includesOrStar(rule.apiVersions, 'v1')
    && (rule.resources ?? []).some((r) => r === 'pods' || r === '*' || r === '*/*')
    && (rule.scope === undefined || rule.scope === null || rule.scope === '*' || rule.scope === 'Namespaced'));
}

/** The namespace's labels as the apiserver of that version sees them. */
export function effectiveNamespaceLabels(subject: MatchSubject): Readonly<Record<string, string>> {
  if (subject.serverMinor < 21 || Object.hasOwn(subject.namespace.labels, NAMESPACE_NAME_LABEL)) return subject.namespace.labels;
  return { ...subject.namespace.labels, [NAMESPACE_NAME_LABEL]: subject.namespace.name };
}

// Names the meshes' own installs use for their injector webhooks and configurations.
const MESH_PATTERNS: ReadonlyArray<[Mesh, RegExp]> = [
  ['sidecar-injector', /(^|\.)sidecar-injector\.io$/],
  ['istio', /istio/],
  ['linkerd', /linkerd/],
  ['kuma', /kuma/],
  ['consul', /consul/],
  ['dapr', /dapr/],
  ['appmesh', /appmesh/],
  ['osm', /(^|[.-])osm([.-]|$)|openservicemesh/],
];

/** Whose proxy injector a webhook is, from the webhook's, the configuration's and the Service's names. */
export function meshOf(configuration: string, webhook: WebhookLike): Mesh | undefined {
  const service = webhook.clientConfig?.service;
  const names = [webhook.name, configuration, service ? `${service.namespace ?? ''}/${service.name ?? ''}` : ''];
  for (const [mesh, pattern] of MESH_PATTERNS) {
    if (names.some((n) => pattern.test(n))) return mesh;
  }
  return undefined;
}

/** Every webhook of every configuration, judged for a pod CREATE with `subject`'s labels. */
export function evaluateWebhooks(configurations: readonly WebhookConfigurationLike[], subject: MatchSubject): WebhookVerdict[] {
  const nsLabels = effectiveNamespaceLabels(subject);
  return configurations.flatMap((config) => (config.webhooks ?? []).map((webhook): WebhookVerdict => {
    const configuration = config.metadata?.name ?? '';
    const base = { configuration, webhook: webhook.name, mesh: meshOf(configuration, webhook), failurePolicy: webhook.failurePolicy ?? 'Fail' };
    if (!rulesCoverPodCreate(webhook.rules)) return { ...base, matches: false, excludedBy: 'rules', requirement: 'its rules do not cover CREATE of pods' };
    const nsFailing = firstFailing(webhook.namespaceSelector, nsLabels);
    if (nsFailing) {
      return { ...base, matches: false, excludedBy: 'namespaceSelector', requirement: describeRequirement(nsFailing), fix: fixFor(nsFailing, 'namespace') };
    }
    const podFailing = firstFailing(webhook.objectSelector, subject.podLabels);
    if (podFailing) {
      return { ...base, matches: false, excludedBy: 'objectSelector', requirement: describeRequirement(podFailing), fix: fixFor(podFailing, 'pod') };
    }
    return { ...base, matches: true };
  }));
}

export interface RoutingSummary {
  /** Our webhooks that match (the apiserver calls the injector once per matching webhook). */
  ours: WebhookVerdict[];
  /** Our webhooks that do not match, with why. */
  oursExcluded: WebhookVerdict[];
  /** Other matching webhooks that inject a proxy (another mesh), or a second configuration of ours. */
  conflicts: WebhookVerdict[];
  /** Other matching pod webhooks whose purpose is unknown (they may mutate the pod too). */
  others: WebhookVerdict[];
  /** Set when namespaces lack kubernetes.io/metadata.name on this apiserver. */
  note?: string;
}

/** Splits verdicts by owner; `ownConfiguration` is our MutatingWebhookConfiguration's name. */
export function summarizeRouting(verdicts: readonly WebhookVerdict[], ownConfiguration: string, subject: MatchSubject): RoutingSummary {
  const isOurs = (v: WebhookVerdict): boolean => v.configuration === ownConfiguration;
  const ours = verdicts.filter((v) => isOurs(v) && v.matches);
  const oursExcluded = verdicts.filter((v) => isOurs(v) && !v.matches);
  const conflicts = verdicts.filter((v) => !isOurs(v) && v.matches && v.mesh !== undefined);
  const others = verdicts.filter((v) => !isOurs(v) && v.matches && v.mesh === undefined);
  const note = subject.serverMinor < 21 && !Object.hasOwn(subject.namespace.labels, NAMESPACE_NAME_LABEL)
    ? `evaluated as Kubernetes 1.${subject.serverMinor} does: namespaces carry no ${NAMESPACE_NAME_LABEL} label before 1.21, so selectors on it see it absent`
    : undefined;
  return { ours, oursExcluded, conflicts, others, ...(note ? { note } : {}) };
}
