// Follows the serving certificate files and hands over each new valid pair. Kubernetes
// Secret volumes change by swapping a `..data` symlink in the mount directory, which a
// watch on the files themselves misses: so the directories are watched, events are
// debounced, and a slow poll catches anything the watch does not report.
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { TlsFiles } from '../settings.js';
import { checkKeyPair, pairDigest, readKeyPair, type CertificateInfo, type KeyPair } from './tls.js';

export interface CertificateWatcherOptions {
  files: TlsFiles;
  /** The pair in use now (loaded at start). */
  initial: KeyPair;
  pollIntervalMs: number;
  /** Quiet time after the last change event before reading (default 200 ms). */
  debounceMs?: number;
  /** Watch the directories for change events (default true); false relies on the poll alone. */
  watchEvents?: boolean;
  /** A new valid pair: put it in use. */
  onReload(pair: KeyPair, info: CertificateInfo): void;
  /** A changed pair that cannot be used; the old one stays. Reported once per distinct content. */
  onRejected(error: Error): void;
}

export interface CertificateWatcher {
  /** Reads the files now (also what events and the poll do). */
  check(): Promise<void>;
  close(): void;
}

export function watchCertificates(opts: CertificateWatcherOptions): CertificateWatcher {
  let currentDigest = pairDigest(opts.initial);
  let lastRejected: string | undefined;
  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;
  let debounce: NodeJS.Timeout | undefined;

  async function checkOnce(): Promise<void> {
    let pair: KeyPair;
    try {
      pair = await readKeyPair(opts.files);
    } catch (err) {
      // Mid-swap a file can be briefly missing: report once, retry on the next event or poll.
      const id = `read:${(err as Error).message}`;
      if (lastRejected !== id) { lastRejected = id; opts.onRejected(err as Error); }
      return;
    }
    const digest = pairDigest(pair);
    if (closed || digest === currentDigest || digest === lastRejected) return;
    let info: CertificateInfo;
    try {
      info = checkKeyPair(pair);
    } catch (err) {
      lastRejected = digest;
      opts.onRejected(err as Error);
      return;
    }
    currentDigest = digest;
    lastRejected = undefined;
    opts.onReload(pair, info);
  }

  // One check at a time; a request during a check runs one more afterwards.
  function check(): Promise<void> {
    if (running) { again = true; return running; }
    running = (async () => {
      do { again = false; await checkOnce(); } while (again && !closed);
    })().finally(() => { running = undefined; });
    return running;
  }

  function schedule(): void {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => { void check(); }, opts.debounceMs ?? 200);
  }

  const watchers: FSWatcher[] = [];
  const dirs = opts.watchEvents === false ? [] : [path.dirname(opts.files.certFile), path.dirname(opts.files.keyFile)];
  for (const dir of new Set(dirs)) {
    try {
      const watcher = watch(dir, { persistent: false }, schedule);
      watcher.on('error', () => watcher.close()); // the poll still covers this directory
      watchers.push(watcher);
    } catch {
      // Directory not watchable (e.g. some network filesystems): the poll covers it.
    }
  }
  const poll = setInterval(() => { void check(); }, opts.pollIntervalMs);
  poll.unref();

  return {
    check,
    close() {
      closed = true;
      clearTimeout(debounce);
      clearInterval(poll);
      for (const w of watchers) w.close();
    },
  };
}
