// Every HTTP error the servers answer, in one table: a stable code, its status, and the
// JSON body `{ error: { code, message } }`. Fastify's own errors (content type, body size,
// JSON parsing) are translated here too, so clients see one shape.
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ReviewError } from '../admission/review.js';
import { rootPlugin } from './plugin.js';

export const ERROR_STATUS = {
  'unsupported-media-type': 415,
  'body-too-large': 413,
  'headers-too-large': 431,
  'request-timeout': 408,
  'overloaded': 503,
  'invalid-json': 400,
  'nesting-too-deep': 400,
  'invalid-review': 400,
  'bad-request': 400,
  'expectation-failed': 417,
  'not-found': 404,
  'internal-error': 500,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    /** The JSON field at fault, for invalid reviews. */
    field?: string;
    /** What would have been accepted (content types). */
    accepted?: string[];
  };
}

export class HttpError extends Error {
  readonly statusCode: number;
  constructor(readonly code: ErrorCode, message: string, readonly details: { field?: string; accepted?: string[] } = {}) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = ERROR_STATUS[code];
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

export const ACCEPTED_CONTENT_TYPES = ['application/json'];

export interface ErrorContext {
  contentType?: string;
  bodyLimit?: number;
}

/** Maps anything thrown while handling a request to an HttpError. */
export function toHttpError(err: unknown, ctx: ErrorContext = {}): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof ReviewError) {
    return new HttpError('invalid-review', `not a valid AdmissionReview: ${err.message}`, { field: err.field });
  }
  const code = (err as FastifyError | undefined)?.code;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError('unsupported-media-type',
        `content type ${ctx.contentType ? `"${ctx.contentType}"` : '(none)'} is not accepted; send ${ACCEPTED_CONTENT_TYPES.join(' or ')}`,
        { accepted: ACCEPTED_CONTENT_TYPES });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError('body-too-large',
        `request body is larger than the limit${ctx.bodyLimit ? ` of ${ctx.bodyLimit} bytes` : ''} (--max-body-bytes)`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError('invalid-json', 'request body is empty; expected an AdmissionReview JSON object');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HttpError('invalid-json', 'request body is not valid JSON (or has a __proto__/constructor key); expected an AdmissionReview JSON object');
    default: {
      const status = (err as FastifyError | undefined)?.statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return new HttpError('bad-request', (err as Error).message);
      }
      return new HttpError('internal-error', 'internal error while handling the request');
    }
  }
}

/** Sends an HttpError in the common shape. */
export function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(error.body());
}

export interface ErrorHandlingOptions {
  /** Called for every error answered (the webhook counts them as `error` results). */
  onError?: (request: FastifyRequest, error: HttpError) => void;
}

/** Fastify's `frameworkErrors` option: errors it raises before routing (a URL it cannot decode) in the common shape. */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  sendError(reply, err.code === 'FST_ERR_BAD_URL'
    ? new HttpError('bad-request', 'the request URL cannot be decoded (invalid percent-encoding); send a plain path such as /inject')
    : toHttpError(err));
}

/**
 * Answers in the common shape what Node's HTTP server would answer with an empty body:
 * an `Expect` header other than 100-continue (417). The server must be created with
 * `requireHostHeader: false`; the missing Host is answered by errorHandling's hook.
 */
export function answerProtocolErrors(server: Server, onHttpError?: (error: HttpError) => void): void {
  server.on('checkExpectation', (req, res: ServerResponse) => {
    const error = new HttpError('expectation-failed', `the Expect header "${String(req.headers.expect).slice(0, 64)}" is not supported; only 100-continue is`);
    onHttpError?.(error);
    const body = JSON.stringify(error.body());
    res.writeHead(error.statusCode, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  });
}

/** Installs the error and not-found handlers on the app (not encapsulated). */
export const errorHandling = rootPlugin('error-handling', async (app: FastifyInstance, opts: ErrorHandlingOptions) => {
  // HTTP/1.1 requires Host (Node's own check would answer 400 with an empty body).
  // A callback, not an async function: every request passes here.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      const error = new HttpError('bad-request', 'the request has no Host header, which HTTP/1.1 requires');
      opts.onError?.(request, error);
      sendError(reply, error);
      return; // answered: the request goes no further
    }
    done();
  });
  app.setErrorHandler((err, request, reply) => {
    const error = toHttpError(err, {
      contentType: request.headers['content-type'],
      bodyLimit: request.routeOptions.bodyLimit,
    });
    if (error.statusCode >= 500) {
      request.log.error({ err }, 'request failed');
    } else {
      request.log.info({ code: error.code, detail: error.message, field: error.details.field }, 'request rejected');
    }
    opts.onError?.(request, error);
    return sendError(reply, error);
  });
  app.setNotFoundHandler((request, reply) => {
    return sendError(reply, new HttpError('not-found', `no route for ${request.method} ${request.url.split('?')[0]}`));
  });
});

export interface ClientErrorLimits {
  maxHeaderBytes?: number;
  requestTimeoutMs?: number;
}

export interface ClientErrorCallbacks {
  /** An HTTP-level error was answered (and the connection closed). */
  onHttpError?: (error: HttpError) => void;
  /** A TLS handshake failed (e.g. no or an untrusted client certificate): closed without an answer. */
  onTlsError?: (err: NodeJS.ErrnoException, socket: Socket) => void;
}

/** OpenSSL's errors and Node's TLS handshake timeout: nothing HTTP can be sent on such a socket. */
function isTlsFailure(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT' || /^ERR_SSL_/.test(err.code ?? '') || 'library' in err;
}

/**
 * Answers errors Node's HTTP parser raises before fastify sees a request (headers over
 * --max-header-bytes, a request slower than --request-timeout, malformed HTTP) in the
 * common JSON shape, then closes the connection (its state is unknown). Failed TLS
 * handshakes, which the HTTPS server reports here too, are closed without an answer.
 */
export function clientErrorHandler(limits: ClientErrorLimits, callbacks: ClientErrorCallbacks = {}) {
  return function handleClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === 'ECONNRESET' || socket.destroyed) return; // nobody left to answer
    if (isTlsFailure(err)) {
      callbacks.onTlsError?.(err, socket);
      socket.destroy();
      return;
    }
    const error = err.code === 'HPE_HEADER_OVERFLOW'
      ? new HttpError('headers-too-large', `request headers are larger than the limit${limits.maxHeaderBytes ? ` of ${limits.maxHeaderBytes} bytes` : ''} (--max-header-bytes)`)
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new HttpError('request-timeout', `the request did not arrive completely within${limits.requestTimeoutMs ? ` ${limits.requestTimeoutMs} ms` : ' the time limit'} (--request-timeout)`)
        : new HttpError('bad-request', `malformed HTTP request (${err.code ?? err.message})`);
    callbacks.onHttpError?.(error);
    if (socket.writable) {
      const body = JSON.stringify(error.body());
      socket.write(`HTTP/1.1 ${error.statusCode} ${STATUS_TEXT[error.statusCode] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n`
        + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy();
  };
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };
