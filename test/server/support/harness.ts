// Shared pieces of the server tests: the captured reviews, fake engine outcomes, a log
// sink, and waiting for a condition with a deadline (never a bare sleep).
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../src/server/logger.js';
import type { InjectionOutcome } from '../../../src/injection/engine.js';
import type { NamespaceView, PatchOperation, Snapshot } from '../../../src/injection/types.js';
import type { NamespaceSource } from '../../../src/admission/admit.js';
import { findCaptured, readCapturedReviews, type CapturedReview } from '../../support/fixtures.js';

export type Fixture = CapturedReview;

export const fixtures = readCapturedReviews;

export function fixture(prefix: string): Fixture {
  return findCaptured(fixtures(), prefix);
}

/** A stand-in Snapshot: the fake engines never look inside. */
export const FAKE_SNAPSHOT = { revision: 'test' } as unknown as Snapshot;

export const LABEL_PATCH: PatchOperation[] = [{ op: 'add', path: '/metadata/labels', value: { injected: 'yes' } }];

export function outcome(partial: Partial<InjectionOutcome> & { inject?: boolean; reason?: InjectionOutcome['decision']['reason'] }): InjectionOutcome {
  const { inject = false, reason = 'not-opted-in', ...rest } = partial;
  return { decision: { inject, reason }, warnings: [], settings: [], templates: [], patch: [], ...rest };
}

export function enabledNamespaces(calls: string[] = []): NamespaceSource {
  return {
    get: async (name: string): Promise<NamespaceView> => {
      calls.push(name);
      return { name, labels: { 'sidecar-injection': 'enabled' }, annotations: {} };
    },
  };
}

/** A logger whose JSON lines are collected in `lines`. */
export function captureLogs(level: 'info' | 'debug' = 'info'): { logger: Logger; lines: Array<Record<string, any>>; text: () => string } {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) { raw.push(chunk.toString()); done(); },
  });
  const logger = createLogger(level, sink);
  return {
    logger,
    get lines() { return raw.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l)); },
    text: () => raw.join(''),
  };
}

export { waitFor } from '../../support/wait.js';
