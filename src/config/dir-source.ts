// Feeds the store from a directory laid out like templates/: config.yaml plus
// *.template.yaml. Works for plain files and for a mounted ConfigMap volume, where the
// kubelet writes each version into a new `..<timestamp>` folder and swaps the `..data`
// symlink to it in one rename (the visible names are symlinks through `..data`).
// The folder is followed with watch/watch-loop.ts (fs.watch, debounced, and a slow poll).
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage, silentLog, type Log } from '../cluster/log.js';
import { loadConfigDir } from './load-dir.js';
import type { ConfigStore } from './store.js';
import { watchLoop } from '../watch/watch-loop.js';

export interface DirSourceOptions {
  /** How often the folder is re-read besides change events (default 2000 ms). */
  pollIntervalMs?: number;
  /** Quiet time after a change event before reading, so one swap is one reload (default 100 ms). */
  debounceMs?: number;
  /** Off: rely on polling alone (default on). */
  useFsWatch?: boolean;
  log?: Log;
}

/**
 * A read that fails is tried this many times, this far apart, before it is reported: a
 * reader that resolved `..data` just before the kubelet's swap finds the old folder gone,
 * and the next read sees the new version.
 */
const READ_ATTEMPTS = 3;
const READ_RETRY_MS = 50;

export interface ConfigSourceHandle {
  /** Stops watching; no store update happens after it returns. */
  close(): void;
}

/**
 * Loads `dir` into `store` once (awaited: rejects with a clear error when the directory
 * cannot be read), then keeps watching it. A version that does not compile is reported
 * by the store and leaves the previous one in force; check `store.current` after the
 * first load to know whether a usable configuration exists.
 */
export async function watchConfigDir(dir: string, store: ConfigStore, options: DirSourceOptions = {}): Promise<ConfigSourceHandle> {
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const debounceMs = options.debounceMs ?? 100;
  const log = options.log ?? silentLog;
  const origin = `dir ${dir}`;

  await store.update(await loadConfigDir(dir), origin);

  let lastReadError: string | undefined;

  const reload = async (): Promise<void> => {
    let files: Record<string, string> | undefined;
    for (let attempt = 1; files === undefined; attempt++) {
      try {
        files = await loadConfigDir(dir);
      } catch (err) {
        if (attempt < READ_ATTEMPTS && !loop.closed) {
          await delay(READ_RETRY_MS);
          continue;
        }
        // It persists (a dangling `..data`, a removed file): reported (logged and counted)
        // through the store like a rejected version, once per distinct error; the next
        // event or poll reads again.
        const message = errorMessage(err);
        if (!loop.closed && message !== lastReadError) store.readFailed(origin, message);
        lastReadError = message;
        return;
      }
    }
    if (loop.closed) return;
    lastReadError = undefined;
    try {
      await store.update(files, origin);
    } catch (err) {
      // A reload listener threw; the store itself is consistent. Keep watching.
      log.error({ dir, err: errorMessage(err) }, 'handling a new configuration version failed');
    }
  };

  const loop = watchLoop({
    dirs: [dir],
    pollIntervalMs,
    debounceMs,
    watchEvents: options.useFsWatch,
    run: reload,
    onWatchError(_dir, err) {
      log.warn({ dir, err: errorMessage(err) }, 'cannot watch config directory; polling until it can be watched again');
    },
  });

  return { close: () => loop.close() };
}
