// The webhook app with the real engine and the built-in configuration, driven through
// fastify's inject() (the whole HTTP path without sockets), every request with a deadline.
import { Writable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { NamespaceSource } from '../../../src/admission/admit.js';
import { evaluatePod } from '../../../src/injection/engine.js';
import type { NamespaceView } from '../../../src/injection/types.js';
import { createLogger } from '../../../src/server/logger.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { buildApp } from '../../../src/server/webhook-app.js';
import { snapshotWith } from '../../support/config.js';
import type { Answer } from './oracle.js';

/** An answer later than this is a hang (generous: the machine running the tests is loaded). */
export const DEADLINE_MS = 15_000;

export interface WebhookRequest {
  method?: 'POST' | 'GET' | 'PUT' | 'DELETE' | 'OPTIONS' | 'PATCH';
  url?: string;
  contentType?: string;
  headers?: Record<string, string>;
  body: Buffer;
}

export interface FuzzWebhook {
  app: FastifyInstance;
  send(request: WebhookRequest): Promise<Answer>;
  /** Log lines written so far (the logger must keep working whatever arrives). */
  logLines(): number;
  /** Problems with the namespace views handed to the engine: they must never be changed. */
  namespaceViewChanges(): string[];
}

/**
 * Namespaces as an informer cache serves them: the same object for every request to one
 * namespace, so a change made while handling one request would be seen by the next.
 */
function sharedNamespaces(): { source: NamespaceSource; changes(): string[] } {
  const views = new Map<string, { view: NamespaceView; original: NamespaceView }>();
  return {
    source: {
      get: async (name: string) => {
        const make = (): NamespaceView => ({ name, labels: { 'sidecar-injection': 'enabled' }, annotations: { 'example.com/owner': 'team-a' } });
        // Names no namespace can have (over 63 characters) get a view of their own, so the
        // cache does not grow with the fuzzers' megabyte strings.
        if (name.length > 63) return make();
        let entry = views.get(name);
        if (!entry) {
          entry = { view: make(), original: make() };
          views.set(name, entry);
        }
        return entry.view;
      },
    },
    changes: () => [...views.values()].filter((e) => !isDeepStrictEqual(e.view, e.original)).map((e) => `namespace ${JSON.stringify(e.view.name)} view changed`),
  };
}

export function fuzzWebhook(): FuzzWebhook {
  let lines = 0;
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines += String(chunk).split('\n').length - 1;
      done();
    },
  });
  const namespaces = sharedNamespaces();
  const snapshot = snapshotWith();
  const app = buildApp({
    logger: createLogger('info', sink), metrics: createMetrics({ processMetrics: false }),
    snapshot: () => snapshot, namespaces: namespaces.source, evaluate: evaluatePod,
  });
  return {
    app,
    async send(request) {
      const headers: Record<string, string> = { ...request.headers };
      if (request.contentType !== undefined) headers['content-type'] = request.contentType;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${DEADLINE_MS} ms (a hang)`)), DEADLINE_MS);
      });
      try {
        const res = await Promise.race([
          app.inject({ method: request.method ?? 'POST', url: request.url ?? '/inject', headers, payload: request.body }),
          deadline,
        ]);
        return { statusCode: res.statusCode, headers: res.headers, body: res.body };
      } finally {
        clearTimeout(timer);
      }
    },
    logLines: () => lines,
    namespaceViewChanges: namespaces.changes,
  };
}
