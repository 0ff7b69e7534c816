// Kubernetes Events for admissions: `Injected`, `InjectionSkipped` (with the reason code)
// and `InjectionDenied` (with the message), on the pod's owner when the pod has a
// generateName and an owner (its name does not exist yet), else on its namespace. Never
// for dry runs. Off the request path: `observe` only counts into a bounded map keyed by
// (object, reason); a timer writes each key as one Event, created once and then patched
// with the new count, so a 1,000-replica rollout makes one Event per owner and reason.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeJson } from './kube-http.js';
import { errorMessage, silentLog, type Log } from './log.js';
import { controllerOf } from './owners.js';
import { isPlainObject } from '../injection/plain-object.js';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

export interface PendingEvent {
  target: EventTarget;
  type: 'Normal' | 'Warning';
  reason: 'Injected' | 'InjectionSkipped' | 'InjectionDenied';
  message: string;
}

/** Where Events go: the apiserver, or a fake in tests. */
export interface EventSink {
  create(event: Record<string, unknown>): Promise<void>;
  /** Rejects with an error carrying `code: 404` when the Event is gone. */
  patch(namespace: string, name: string, body: Record<string, unknown>): Promise<void>;
}

/**
 * What Events need of an admission, by shape (admission/'s AdmissionRequest and Admission
 * fit them), so cluster/ stays below admission/ (ARCHITECTURE.md).
 */
export interface AdmittedRequest {
  dryRun?: boolean;
  object?: unknown;
}
export interface AdmissionOutcome {
  result: string;
  reason: string;
  message?: string;
  namespace?: string;
}

/** Skips that say nothing about the pod: not a pod create, or a reinvocation of an injected pod. */
const SILENT_REASONS = new Set(['not-a-pod-create', 'already-injected']);

/** Deadline of one Event write (a stalled apiserver must not hold the flush). */
export const EVENT_CALL_TIMEOUT_MS = 10_000;

/** RFC 3339 in whole seconds, as Kubernetes writes Event timestamps. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The Event an admission deserves, or undefined (dry run, nothing to say, no namespace). */
export function eventFor(request: AdmittedRequest, admission: AdmissionOutcome): PendingEvent | undefined {
  const namespace = admission.namespace;
  if (request.dryRun || !namespace || SILENT_REASONS.has(admission.reason)) return undefined;
  const meta = isPlainObject(request.object) && isPlainObject(request.object.metadata) ? request.object.metadata : {};
  const owner = controllerOf(meta as { ownerReferences?: [] });
  const generated = typeof meta.generateName === 'string' && meta.generateName !== '' && !(typeof meta.name === 'string' && meta.name !== '');
  const target: EventTarget = generated && owner
    ? { apiVersion: owner.apiVersion ?? '', kind: owner.kind!, name: owner.name!, namespace, ...(owner.uid ? { uid: owner.uid } : {}) }
    // The namespace's own Events are kept in that namespace, so `kubectl get events -n NS` lists them.
    : { apiVersion: 'v1', kind: 'Namespace', name: namespace, namespace };
  const pod = typeof meta.name === 'string' && meta.name !== '' ? `pod ${meta.name}` : `a pod of ${target.kind}/${target.name}`;
  switch (admission.result) {
    case 'injected':
      return { target, type: 'Normal', reason: 'Injected', message: `Injected the sidecar into ${pod} (reason ${admission.reason})` };
    case 'skipped':
      return { target, type: 'Normal', reason: 'InjectionSkipped', message: `Did not inject ${pod}: ${admission.reason}` };
    default:
      return { target, type: 'Warning', reason: 'InjectionDenied', message: `Refused ${pod}: ${admission.message ?? admission.reason}`.slice(0, 1024) };
  }
}

export interface EventRecorderOptions {
  sink: EventSink;
  /** How often counts are written (default 5 s). */
  flushIntervalMs?: number;
  /** Distinct (object, reason) keys held at once; more are dropped and counted (default 1000). */
  maxKeys?: number;
  /** Writes per flush at most; the rest wait for the next flush (default 50). */
  maxWritesPerFlush?: number;
  /** A key with nothing new for this long is forgotten; its next occurrence makes a new Event (default 10 min). */
  idleMs?: number;
  log?: Log;
  now?: () => Date;
}

interface Entry {
  event: PendingEvent;
  pending: number;
  total: number;
  first: Date;
  last: Date;
  /** The Event's name once created. */
  name?: string;
}

export class EventRecorder {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  private droppedSinceLog = 0;
  private readonly now: () => Date;

  constructor(private readonly options: EventRecorderOptions) {
    this.now = options.now ?? (() => new Date());
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 5_000);
    this.timer.unref();
  }

  /** Counts one occurrence. Constant time, never throws, never waits. */
  record(event: PendingEvent): void {
    const t = event.target;
    const key = `${t.namespace}\u0000${t.kind}\u0000${t.name}\u0000${event.reason}`;
    const entry = this.entries.get(key);
    const now = this.now();
    if (entry) {
      entry.pending += 1;
      entry.total += 1;
      entry.last = now;
      entry.event = { ...entry.event, message: event.message };
      return;
    }
    if (this.entries.size >= (this.options.maxKeys ?? 1000)) {
      this.droppedSinceLog += 1;
      return;
    }
    this.entries.set(key, { event, pending: 1, total: 1, first: now, last: now });
  }

  /** Writes pending counts (one flush at a time). */
  flush(): Promise<void> {
    this.flushing ??= this.writePending().finally(() => { this.flushing = undefined; });
    return this.flushing;
  }

  /** Stops the timer and writes what is pending. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  get size(): number {
    return this.entries.size;
  }

  private async writePending(): Promise<void> {
    const log = this.options.log ?? silentLog;
    if (this.droppedSinceLog > 0) {
      log.warn({ dropped: this.droppedSinceLog }, 'too many distinct events pending: some were not recorded');
      this.droppedSinceLog = 0;
    }
    const idleMs = this.options.idleMs ?? 600_000;
    const now = this.now();
    let writes = this.options.maxWritesPerFlush ?? 50;
    for (const [key, entry] of this.entries) {
      if (entry.pending === 0) {
        if (now.getTime() - entry.last.getTime() > idleMs) this.entries.delete(key);
        continue;
      }
      if (writes-- <= 0) break;
      const count = entry.pending;
      entry.pending = 0;
      try {
        await this.write(entry);
      } catch (err) {
        entry.pending += count; // retried on the next flush
        log.warn({ reason: entry.event.reason, object: `${entry.event.target.kind}/${entry.event.target.name}`, err: errorMessage(err) }, 'writing an Event failed');
      }
    }
  }

  private async write(entry: Entry): Promise<void> {
    const { event } = entry;
    const ns = event.target.namespace;
    if (entry.name !== undefined) {
      try {
        await this.options.sink.patch(ns, entry.name, { count: entry.total, message: event.message, lastTimestamp: rfc3339(entry.last) });
        return;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 404) throw err;
        entry.name = undefined; // expired (Events live an hour by default): create a new one
      }
    }
    const name = `${event.target.name}.${randomBytes(8).toString('hex')}`;
    await this.options.sink.create({
      apiVersion: 'v1', kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: event.target,
      reason: event.reason, message: event.message, type: event.type,
      count: entry.total,
      firstTimestamp: rfc3339(entry.first), lastTimestamp: rfc3339(entry.last),
      source: { component: 'sidecar-injector', host: hostname() },
    });
    entry.name = name;
  }
}

/** Events written through the apiserver with `kc`'s credentials (create and patch on events). */
export function apiEventSink(kc: KubeConfig, timeoutMs = EVENT_CALL_TIMEOUT_MS): EventSink {
  const events = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
  return {
    create: async (event) => {
      const namespace = String((event.metadata as { namespace?: unknown } | undefined)?.namespace ?? '');
      await kubeJson(kc, { method: 'POST', path: events(namespace), body: event, signal: AbortSignal.timeout(timeoutMs) });
    },
    patch: async (namespace, name, body) => {
      await kubeJson(kc, {
        method: 'PATCH', path: `${events(namespace)}/${encodeURIComponent(name)}`, body, contentType: 'application/merge-patch+json', signal: AbortSignal.timeout(timeoutMs),
      });
    },
  };
}

/** The admission hook: derives the Event and counts it; never throws. */
export function admissionEvents(recorder: EventRecorder, log: Log = silentLog): (request: AdmittedRequest, admission: AdmissionOutcome) => void {
  return (request, admission) => {
    try {
      const event = eventFor(request, admission);
      if (event) recorder.record(event);
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'recording an admission Event failed');
    }
  };
}
