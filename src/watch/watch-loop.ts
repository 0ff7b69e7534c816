// Following files that change under us, the way Kubernetes volumes change them: a Secret
// or ConfigMap volume swaps a `..data` symlink in the mount directory, which a watch on
// the files themselves misses. So the directories are watched, events are debounced (one
// swap is one run), and a slow poll catches what the watch does not report (network
// filesystems, symlink targets elsewhere, a watcher that died; the poll re-creates it).
// Used by the certificate files (server/cert-watcher.ts) and the config folder
// (config/dir-source.ts).
import { watch, type FSWatcher } from 'node:fs';

export interface WatchLoopOptions {
  /** The directories whose change events trigger a run. */
  dirs: readonly string[];
  pollIntervalMs: number;
  /** Quiet time after the last change event before a run. */
  debounceMs: number;
  /** Watch the directories for change events (default true); false relies on the poll alone. */
  watchEvents?: boolean;
  /** Reads and hands over what changed; its own errors are its to report. */
  run(): Promise<void>;
  /** A directory cannot be watched (now or any more): the poll covers it meanwhile. */
  onWatchError?(dir: string, err: unknown): void;
}

export interface WatchLoop {
  /** Runs now (what events and the poll do); one run at a time, a request during one runs once more after it. */
  check(): Promise<void>;
  /** True once closed: a run in progress hands nothing over after this. */
  readonly closed: boolean;
  close(): void;
}

export function watchLoop(opts: WatchLoopOptions): WatchLoop {
  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;
  let debounce: NodeJS.Timeout | undefined;
  const watchers = new Map<string, FSWatcher>();

  function check(): Promise<void> {
    if (running) { again = true; return running; }
    running = (async () => {
      do { again = false; await opts.run(); } while (again && !closed);
    })().finally(() => { running = undefined; });
    return running;
  }

  function schedule(): void {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => { debounce = undefined; void check(); }, opts.debounceMs);
    debounce.unref();
  }

  function startWatchers(): void {
    if (opts.watchEvents === false || closed) return;
    for (const dir of new Set(opts.dirs)) {
      if (watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, schedule);
        w.on('error', (err) => {
          // e.g. the folder was removed; the poll continues and re-creates the watcher.
          w.close();
          if (watchers.get(dir) === w) watchers.delete(dir);
          opts.onWatchError?.(dir, err);
        });
        watchers.set(dir, w);
      } catch (err) {
        opts.onWatchError?.(dir, err);
      }
    }
  }

  startWatchers();
  const poll = setInterval(() => { startWatchers(); void check(); }, opts.pollIntervalMs);
  poll.unref();

  return {
    check,
    get closed() { return closed; },
    close() {
      closed = true;
      clearTimeout(debounce);
      clearInterval(poll);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
