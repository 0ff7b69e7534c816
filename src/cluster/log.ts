// The slice of a pino logger the config sources and the cluster cache write to. Kept
// structural so tests can pass a recorder and the server its pino child logger.

export type LogFn = (fields: Record<string, unknown>, message: string) => void;

export interface Log {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const ignore: LogFn = () => undefined;

/** Drops everything: the default when a caller passes no logger. */
export const silentLog: Log = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/**
 * The message of anything thrown, for a log field. An API error from client-node
 * (ApiException: numeric `code` and a `body`) is shortened to its status and the
 * apiserver's own message instead of the body and headers it otherwise spells out.
 */
export function errorMessage(err: unknown): string {
  const e = err as { code?: unknown; body?: unknown; message?: unknown } | null;
  if (typeof e === 'object' && e !== null && typeof e.code === 'number' && 'body' in e) {
    let body = e.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        // a non-JSON body: use it as the message
      }
    }
    const detail = typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message
      : typeof body === 'string' && body !== '' ? body : httpStatusText(e.code);
    return `HTTP ${e.code}: ${detail}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function httpStatusText(code: number): string {
  return code === 401 ? 'Unauthorized (credentials rejected)' : code === 403 ? 'Forbidden (missing RBAC permission)' : 'request failed';
}
