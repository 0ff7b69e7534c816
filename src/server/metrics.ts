// The server's Prometheus metrics (names fixed by the contract: README.md, "The server"),
// in a registry owned by whoever creates them, so several apps (and tests) never share prom-client's global one.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { REASONS } from '../injection/types.js';
import type { AdmissionResult } from '../admission/admit.js';

export const ADMISSION_RESULTS: readonly AdmissionResult[] = ['injected', 'skipped', 'denied', 'error'];

/** Fine below 5 ms, where a healthy admission lands; coarse up to the apiserver's 30 s cap. */
export const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30,
];

/** Reason codes that lead to injection: never a skip reason. */
const INJECTING_REASONS: ReadonlySet<string> = new Set(['pod-opted-in', 'always-inject-selector', 'namespace-enabled']);

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'result'>;
  readonly skipped: Counter<'reason'>;
  readonly duration: Histogram<string>;
  readonly configReloads: Counter<'result'>;
  /** Admissions being handled now (what --max-in-flight caps). */
  readonly inFlight: Gauge<string>;
  /** Requests answered 503 (max-in-flight) and connections closed at once (max-connections-per-client). */
  readonly shed: Counter<'limit'>;
  /** When the serving certificate and the client CA in use expire (earliest in the bundle). */
  readonly certificateExpiry: Gauge<'certificate'>;
  /** Certificate changes put in use (success) or refused, keeping the current one (failure). */
  readonly certificateReloads: Counter<'certificate' | 'result'>;
}

/** The `certificate` label of the certificate metrics. */
export type CertificateKind = 'serving' | 'client-ca';
export const CERTIFICATE_KINDS: readonly CertificateKind[] = ['serving', 'client-ca'];

export const SHED_LIMITS = ['max-in-flight', 'max-connections-per-client'] as const;

export interface MetricsOptions {
  /** Node's process metrics (CPU, memory, event loop lag, ...). Default true. */
  processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const gauge = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });
  const requests = counter('sidecar_injector_requests_total',
    'Admission requests answered, by result: injected, skipped, denied (invalid pod settings) or error (bad request or failure).', ['result']);
  const skipped = counter('sidecar_injector_skipped_total', 'Admission requests allowed without injection, by reason code.', ['reason']);
  const duration = new Histogram({
    name: 'sidecar_injector_request_duration_seconds',
    help: 'Time from receiving an admission request to sending its response.',
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const configReloads = counter('sidecar_injector_config_reloads_total',
    'Configuration versions loaded (success) or rejected, keeping the previous one (failure).', ['result']);
  const inFlight = gauge('sidecar_injector_in_flight_requests', 'Admission requests being handled now (capped by --max-in-flight).');
  const shed = counter('sidecar_injector_shed_total',
    'Load turned away by a limit: requests answered 503 (max-in-flight), connections closed on arrival (max-connections-per-client).', ['limit']);
  const certificateExpiry = gauge('sidecar_injector_certificate_expiry_timestamp_seconds',
    'When the certificate in use expires (Unix time): the serving certificate, and the earliest in the client CA bundle.', ['certificate']);
  const certificateReloads = counter('sidecar_injector_certificate_reloads_total',
    'Certificate changes put in use (success) or refused, keeping the current one (failure: unreadable, invalid, expired or not yet valid).',
    ['certificate', 'result']);
  // Zero series exist from the start, so rate() and alerts work before the first event.
  for (const result of ADMISSION_RESULTS) requests.inc({ result }, 0);
  for (const reason of REASONS) if (!INJECTING_REASONS.has(reason)) skipped.inc({ reason }, 0);
  for (const result of ['success', 'failure']) configReloads.inc({ result }, 0);
  for (const limit of SHED_LIMITS) shed.inc({ limit }, 0);
  for (const certificate of CERTIFICATE_KINDS) for (const result of ['success', 'failure']) certificateReloads.inc({ certificate, result }, 0);
  return { registry, requests, skipped, duration, configReloads, inFlight, shed, certificateExpiry, certificateReloads };
}
