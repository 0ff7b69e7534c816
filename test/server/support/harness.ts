// Shared pieces of the server tests: the captured reviews, fake engine outcomes, a log
// sink, and waiting for a condition with a deadline (never a bare sleep).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../src/server/logger.js';
import type { InjectionOutcome } from '../../../src/injection/engine.js';
import type { NamespaceView, PatchOperation, Snapshot } from '../../../src/injection/types.js';
import type { NamespaceSource } from '../../../src/admission/admit.js';
import { FIXTURES_DIR } from '../../support/config.js';


export interface Fixture {
  file: string;
  text: string;
  review: { apiVersion: string; request: { uid: string; namespace: string; operation: string; dryRun: boolean; kind: { kind: string }; object: any } };
}

export function fixtures(): Fixture[] {
  return readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.json')).sort().map((file) => {
    const text = readFileSync(join(FIXTURES_DIR, file), 'utf8');
    return { file, text, review: JSON.parse(text) };
  });
}

export function fixture(prefix: string): Fixture {
  const found = fixtures().find((f) => f.file.startsWith(prefix));
  if (!found) throw new Error(`no fixture ${prefix}`);
  return found;
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
