// The process's pino logger: JSON lines on stdout, ISO timestamps, level from settings.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Lines are written together once this many bytes wait, or after FLUSH_INTERVAL_MS. */
const WRITE_BATCH_BYTES = 4096;
/** The longest a line waits in the buffer when few are logged. */
const FLUSH_INTERVAL_MS = 200;

/**
 * Stdout written asynchronously and in batches: one synchronous write per line (pino's
 * default) was most of the cost of an admission's log line. pino flushes what is still
 * buffered when the process exits, by any path (process.exit and SIGTERM included); only
 * a SIGKILL can lose the last FLUSH_INTERVAL_MS of lines.
 */
export function stdoutDestination(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: WRITE_BATCH_BYTES, periodicFlush: FLUSH_INTERVAL_MS });
}

export function createLogger(level: LogLevel, destination: DestinationStream = stdoutDestination()): Logger {
  const options = {
    level,
    base: { name: 'sidecar-injector' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return pino(options, destination);
}
