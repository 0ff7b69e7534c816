// The injector's own Kubernetes API calls: JSON over node:http(s), with the credentials,
// TLS settings and proxy agent that client-node's KubeConfig applies (applyToHTTPSOptions,
// the same path its Watch takes). `serve` needs six calls; the generated API classes
// behind them (CoreV1Api and its siblings, their models, ObjectSerializer) would add
// ~25 MiB of heap to the process (bench/children/footprint.js). Errors carry the shape of
// client-node's ApiException (numeric `code`, `body`), so callers and errorMessage read
// both alike.
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** Largest answer read from one call (a list page of 500 objects is far below). */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface KubeCall {
  method: 'GET' | 'POST' | 'PATCH';
  /** e.g. /api/v1/namespaces */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Content type of `body`; JSON unless a patch says otherwise. */
  contentType?: string;
  signal: AbortSignal;
}

/** An apiserver answer outside 2xx, shaped as client-node's ApiException. */
export class KubeApiError extends Error {
  constructor(readonly code: number, readonly body: string, what: string) {
    super(`HTTP ${code} from ${what}`);
  }
}

/** One API call; resolves with the parsed JSON answer, rejects with KubeApiError on a non-2xx. */
export async function kubeJson<T>(kc: KubeConfig, call: KubeCall): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/+$/, '') + call.path);
  for (const [key, value] of Object.entries(call.query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  // Credentials (token header, client certificate, basic auth), CA and proxy agent.
  const options: RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(options as never);
  const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
  const headers: Record<string, string | string[] | number> = { ...(options.headers as Record<string, string>), accept: 'application/json' };
  if (payload) Object.assign(headers, { 'content-type': call.contentType ?? 'application/json', 'content-length': payload.length });
  Object.assign(options, { method: call.method, signal: call.signal, headers });
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          req.destroy(new Error(`${call.method} ${call.path}: answer larger than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
  if (status < 200 || status > 299) throw new KubeApiError(status, text, `${call.method} ${call.path}`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${call.method} ${call.path}: the apiserver's answer is not JSON`);
  }
}
