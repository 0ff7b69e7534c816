// The process's pino logger: JSON lines on stdout, ISO timestamps, level from settings.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Stdout written asynchronously: one synchronous write per line (pino's default) was
 * most of the cost of an admission's log line. Lines are not held back by a timer or a
 * size: each goes out as soon as the write before it completes (lines logged meanwhile go
 * out together). pino flushes what is still buffered when the process exits, by any path
 * (process.exit and SIGTERM included).
 */
export function stdoutDestination(): DestinationStream {
  return pino.destination({ dest: 1, sync: false });
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
