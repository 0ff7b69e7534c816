// One admission, HTTP-free: from a decoded request to a verdict plus what the logs and
// metrics need. The engine, the configuration and the namespace view are passed in, so
// the server wires the real ones and tests pass fakes. Nothing here throws: any failure
// while handling a pod becomes `allowed: false` with the reason.
import type { InjectionOutcome } from '../injection/engine.js';
import type { NamespaceSource, NamespaceView, Pod, RequestInfo, Snapshot, StringMap } from '../injection/types.js';
import { injectPathEnv, PathEnvError } from '../injection/istio/path-env.js';
import { isPodCreate, type AdmissionRequest } from './review.js';
import { allowUnchanged, deny, type AdmissionVerdict } from './response.js';
import { isPlainObject } from '../injection/plain-object.js';

/** The metric `result` label (README.md, "The server"). */
export type AdmissionResult = 'injected' | 'skipped' | 'denied' | 'error';

/** The engine's entry point (src/injection/engine.ts `evaluatePod`). */
export type PodEvaluator = (pod: Pod, namespace: NamespaceView, snapshot: Snapshot, request: RequestInfo) => InjectionOutcome;

export type { NamespaceSource };

export interface AdmitDeps {
  /** The configuration in force; undefined until the first one is loaded. */
  snapshot(): Snapshot | undefined;
  namespaces: NamespaceSource;
  evaluate: PodEvaluator;
  /** Told of every admission after its answer is computed (Kubernetes Events); must not block or throw. */
  onAdmission?: (request: AdmissionRequest, admission: Admission) => void;
}

/** What the logs say about the pod (never the pod itself). */
export interface PodSummary {
  /** metadata.name, else metadata.generateName (controllers' pods have no name yet). */
  name?: string;
  /** Kind of the controlling owner (ReplicaSet, Job, ...), else of the first owner. */
  ownerKind?: string;
}

export interface Admission {
  verdict: AdmissionVerdict;
  result: AdmissionResult;
  /** A reason code (README.md, "Which pods are injected") or, for failures, `invalid-request` / `internal-error` / `config-not-loaded`. */
  reason: string;
  /** The denial or error text, for the log line. */
  message?: string;
  namespace?: string;
  pod: PodSummary;
}

/** Name and owner kind for the log line; tolerant of any object shape. */
export function summarizePod(object: unknown): PodSummary {
  const meta = isPlainObject(object) && isPlainObject(object.metadata) ? object.metadata : undefined;
  if (!meta) return {};
  const name = typeof meta.name === 'string' && meta.name !== '' ? meta.name
    : typeof meta.generateName === 'string' && meta.generateName !== '' ? meta.generateName : undefined;
  const owners = Array.isArray(meta.ownerReferences) ? meta.ownerReferences.filter(isPlainObject) : [];
  const owner = owners.find((o) => o.controller === true) ?? owners[0];
  const ownerKind = owner && typeof owner.kind === 'string' ? owner.kind : undefined;
  return { name, ownerKind };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Decides what to answer for one AdmissionRequest, called on `path` (the webhook's URL path:
 * the istio profile reads env for the proxy from it, istio/path-env.ts). Never throws.
 */
export async function admit(request: AdmissionRequest, deps: AdmitDeps, path?: string): Promise<Admission> {
  if (!isPodCreate(request)) {
    return { verdict: allowUnchanged(), result: 'skipped', reason: 'not-a-pod-create', namespace: request.namespace, pod: { name: request.name } };
  }
  const pod = summarizePod(request.object);
  const object = request.object;
  if (!isPlainObject(object)) {
    const message = 'request.object must be the Pod being created (a JSON object)';
    return { verdict: deny(400, 'BadRequest', message), result: 'error', reason: 'invalid-request', message, namespace: request.namespace, pod };
  }
  const objectNamespace = isPlainObject(object.metadata) && typeof object.metadata.namespace === 'string' ? object.metadata.namespace : undefined;
  const namespaceName = request.namespace ?? objectNamespace;
  if (namespaceName === undefined || namespaceName === '') {
    const message = 'request.namespace is missing: a Pod is always created in a namespace';
    return { verdict: deny(400, 'BadRequest', message), result: 'error', reason: 'invalid-request', message, pod };
  }
  const failed = (code: number, statusReason: string, reason: string, message: string): Admission => ({
    verdict: deny(code, statusReason, message), result: 'error', reason, message, namespace: namespaceName, pod,
  });

  const snapshot = deps.snapshot();
  if (snapshot === undefined) {
    return failed(503, 'ServiceUnavailable', 'config-not-loaded', 'sidecar-injector has not loaded its configuration yet; retry shortly');
  }
  let proxyEnv: StringMap | undefined;
  try {
    proxyEnv = path === undefined || snapshot.meshConfig === undefined ? undefined : injectPathEnv(path);
  } catch (err) {
    if (!(err instanceof PathEnvError)) throw err;
    return failed(400, 'BadRequest', 'invalid-request', err.message);
  }
  let namespace: NamespaceView;
  try {
    namespace = await deps.namespaces.get(namespaceName);
  } catch (err) {
    return failed(500, 'InternalError', 'internal-error', `sidecar-injector could not read namespace "${namespaceName}": ${errorText(err)}`);
  }
  let outcome: InjectionOutcome;
  try {
    outcome = deps.evaluate(object as Pod, namespace, snapshot, { kind: request.kind.kind, operation: request.operation, ...(proxyEnv ? { proxyEnv } : {}) });
  } catch (err) {
    return failed(500, 'InternalError', 'internal-error', `sidecar-injector failed while injecting this pod: ${errorText(err)}`);
  }
  return verdictFromOutcome(outcome, namespaceName, pod);
}

/** Turns the engine's outcome into a verdict: denial, injection (patch) or skip. */
export function verdictFromOutcome(outcome: InjectionOutcome, namespace: string | undefined, pod: PodSummary): Admission {
  const warnings = outcome.warnings;
  const reason = outcome.decision.reason;
  if (outcome.denial !== undefined) {
    return { verdict: deny(400, 'BadRequest', outcome.denial, warnings), result: 'denied', reason, message: outcome.denial, namespace, pod };
  }
  if (outcome.decision.inject && outcome.patch.length > 0) {
    return { verdict: { allowed: true, patch: outcome.patch, warnings }, result: 'injected', reason, namespace, pod };
  }
  return { verdict: allowUnchanged(warnings), result: 'skipped', reason, namespace, pod };
}
