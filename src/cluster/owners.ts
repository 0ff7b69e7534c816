// Which workload a pod belongs to: its controlling owner, followed up one level where
// Kubernetes controllers stack (ReplicaSet → Deployment, Job → CronJob), as `kubectl
// rollout` sees it. Pure: the caller lists the ReplicaSets and Jobs once and passes them in.

export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

export interface OwnedMeta {
  name?: string;
  namespace?: string;
  ownerReferences?: readonly OwnerReference[] | null;
}

/** A workload, the unit `audit` groups pods by and `--restart` rolls out. */
export interface WorkloadRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/** The owner with `controller: true`, else the first owner; undefined without owners. */
export function controllerOf(meta: OwnedMeta | undefined): OwnerReference | undefined {
  const owners = (meta?.ownerReferences ?? []).filter((o) => typeof o.kind === 'string' && typeof o.name === 'string');
  return owners.find((o) => o.controller === true) ?? owners[0];
}

/** The intermediate kinds whose own controller is the workload a user manages. */
const STACKED: Readonly<Record<string, string>> = { ReplicaSet: 'Deployment', Job: 'CronJob' };

/** The owners of the intermediate objects (ReplicaSets, Jobs) by `namespace/kind/name`. */
export type OwnerIndex = ReadonlyMap<string, OwnerReference | undefined>;

export function ownerKey(namespace: string, kind: string, name: string): string {
  return `${namespace}/${kind}/${name}`;
}

/** Builds the index from listed ReplicaSets or Jobs. */
export function indexOwners(kind: string, objects: ReadonlyArray<{ metadata?: OwnedMeta }>): Map<string, OwnerReference | undefined> {
  const index = new Map<string, OwnerReference | undefined>();
  for (const o of objects) {
    if (o.metadata?.name && o.metadata.namespace) index.set(ownerKey(o.metadata.namespace, kind, o.metadata.name), controllerOf(o.metadata));
  }
  return index;
}

/**
 * The workload that owns a pod: a ReplicaSet's Deployment, a Job's CronJob, else the
 * controlling owner itself (StatefulSet, DaemonSet, a bare ReplicaSet or Job, ...).
 * Undefined for a pod without owners.
 */
export function workloadOf(pod: { metadata?: OwnedMeta }, namespace: string, index: OwnerIndex): WorkloadRef | undefined {
  const direct = controllerOf(pod.metadata);
  if (!direct) return undefined;
  const ref = (o: OwnerReference): WorkloadRef => ({ apiVersion: o.apiVersion ?? '', kind: o.kind!, namespace, name: o.name! });
  const parentKind = STACKED[direct.kind!];
  if (parentKind) {
    const parent = index.get(ownerKey(namespace, direct.kind!, direct.name!));
    if (parent?.kind === parentKind) return ref(parent);
  }
  return ref(direct);
}

/** Kinds `kubectl rollout restart` restarts through a pod-template annotation, and where the template is. */
export const RESTARTABLE: Readonly<Record<string, { apiVersion: string; plural: string }>> = {
  Deployment: { apiVersion: 'apps/v1', plural: 'deployments' },
  StatefulSet: { apiVersion: 'apps/v1', plural: 'statefulsets' },
  DaemonSet: { apiVersion: 'apps/v1', plural: 'daemonsets' },
};

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** The merge patch `kubectl rollout restart` sends: a new pod-template annotation, so the controller rolls out new pods. */
export function restartPatch(at: Date): object {
  return { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at.toISOString() } } } } };
}
