// serve's Kubernetes Events (`--events`, on by default with Kubernetes access): the
// recorder of src/cluster/events.ts, loaded only when used (standalone runs never load the
// Kubernetes client).
import type { Logger } from 'pino';
import type { Admission } from '../admission/admit.js';
import type { AdmissionRequest } from '../admission/review.js';
import type { KubeConnection } from '../cluster/kube.js';
import type { ServeSettings } from './serve-flags.js';

export interface AdmissionEventsHandle {
  observe(request: AdmissionRequest, admission: Admission): void;
  /** Writes what is pending and stops. */
  close(): Promise<void>;
}

/** `connection`: the one serve's sources opened (none standalone). */
export async function openAdmissionEvents(settings: ServeSettings, connection: KubeConnection | undefined, logger: Logger): Promise<AdmissionEventsHandle | undefined> {
  if (!settings.events || !connection) return undefined;
  const { EventRecorder, admissionEvents, apiEventSink } = await import('../cluster/events.js');
  const log = logger.child({ component: 'events' });
  const recorder = new EventRecorder({ sink: apiEventSink(connection.kubeConfig), log: {
    debug: (f, m) => log.debug(f, m), info: (f, m) => log.info(f, m), warn: (f, m) => log.warn(f, m), error: (f, m) => log.error(f, m),
  } });
  logger.info({}, 'recording Kubernetes Events for admissions (--events=false turns them off)');
  return { observe: admissionEvents(recorder, log), close: () => recorder.close() };
}
