// Follows the serving certificate files (and the client CA file) and hands over each new
// valid version. How Secret volumes change and how they are followed: watch/watch-loop.ts.
import path from 'node:path';
import { watchLoop } from '../watch/watch-loop.js';
import type { TlsFiles } from './tls.js';
import {
  caDigest, checkClientCa, checkKeyPair, KeyPairError, pairDigest, readClientCa, readKeyPair, validityProblem,
  type CertificateInfo, type ClientCaInfo, type KeyPair,
} from './tls.js';

interface Timing {
  pollIntervalMs: number;
  /** Quiet time after the last change event before reading (default 200 ms). */
  debounceMs?: number;
  /** Watch the directories for change events (default true); false relies on the poll alone. */
  watchEvents?: boolean;
  /** The clock validity dates are checked against (tests). */
  now?: () => number;
}

export interface CertificateWatcherOptions extends Timing {
  files: TlsFiles;
  /** The pair in use now (loaded at start). */
  initial: KeyPair;
  /** A new valid pair: put it in use. */
  onReload(pair: KeyPair, info: CertificateInfo): void;
  /** A changed pair that cannot be used; the old one stays. Reported once per distinct content. */
  onRejected(error: Error): void;
}

export interface ClientCaWatcherOptions extends Timing {
  file: string;
  /** The bundle in use now (loaded at start). */
  initial: string;
  onReload(pem: string, info: ClientCaInfo): void;
  onRejected(error: Error): void;
}

export interface CertificateWatcher {
  /** Reads the files now (also what events and the poll do). */
  check(): Promise<void>;
  close(): void;
}

export function watchCertificates(opts: CertificateWatcherOptions): CertificateWatcher {
  return watchFiles({
    ...opts,
    files: [opts.files.certFile, opts.files.keyFile],
    initialDigest: pairDigest(opts.initial),
    read: () => readKeyPair(opts.files),
    digest: pairDigest,
    check(pair) {
      // An expired (or not yet valid) replacement would fail every caller's TLS check.
      const info = checkKeyPair(pair);
      const problem = validityProblem(info, (opts.now ?? Date.now)());
      if (problem) throw new KeyPairError(`${problem} (subject ${info.subject})`);
      return info;
    },
  });
}

export function watchClientCa(opts: ClientCaWatcherOptions): CertificateWatcher {
  return watchFiles({
    ...opts,
    files: [opts.file],
    initialDigest: caDigest(opts.initial),
    read: () => readClientCa(opts.file),
    digest: caDigest,
    check: (pem) => checkClientCa(pem, (opts.now ?? Date.now)()),
  });
}

interface WatchFilesOptions<T, I> extends Timing {
  files: string[];
  initialDigest: string;
  read(): Promise<T>;
  digest(value: T): string;
  /** Throws when the value cannot be used; returns what to log about it. */
  check(value: T): I;
  onReload(value: T, info: I): void;
  onRejected(error: Error): void;
}

function watchFiles<T, I>(opts: WatchFilesOptions<T, I>): CertificateWatcher {
  let currentDigest = opts.initialDigest;
  let lastRejected: string | undefined;

  async function checkOnce(): Promise<void> {
    let value: T;
    try {
      value = await opts.read();
    } catch (err) {
      // Mid-swap a file can be briefly missing: report once, retry on the next event or poll.
      const id = `read:${(err as Error).message}`;
      if (lastRejected !== id) { lastRejected = id; opts.onRejected(err as Error); }
      return;
    }
    const digest = opts.digest(value);
    if (loop.closed || digest === currentDigest || digest === lastRejected) return;
    let info: I;
    try {
      info = opts.check(value);
    } catch (err) {
      lastRejected = digest;
      opts.onRejected(err as Error);
      return;
    }
    currentDigest = digest;
    lastRejected = undefined;
    opts.onReload(value, info);
  }

  const loop = watchLoop({
    dirs: opts.files.map((file) => path.dirname(file)),
    pollIntervalMs: opts.pollIntervalMs,
    debounceMs: opts.debounceMs ?? 200,
    watchEvents: opts.watchEvents,
    run: checkOnce,
  });
  return { check: () => loop.check(), close: () => loop.close() };
}
