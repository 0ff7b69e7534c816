// Feeds the store from a directory laid out like templates/: config.yaml plus
// *.template.yaml. Works for plain files and for a mounted ConfigMap volume, where the
// kubelet writes each version into a new `..<timestamp>` folder and swaps the `..data`
// symlink to it in one rename (the visible names are symlinks through `..data`).
// fs.watch on the folder notices both; a slow poll catches what fs.watch misses
// (network filesystems, symlink targets outside the folder, a watcher that died).
import { watch, type FSWatcher } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage, silentLog, type Log } from '../cluster/log.js';
import { loadConfigDir } from './load-dir.js';
import type { ConfigStore } from './store.js';

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

  let closed = false;
  let watcher: FSWatcher | undefined;
  let debounceTimer: NodeJS.Timeout | undefined;
  let reading = false;
  let readAgain = false;
  let lastReadError: string | undefined;

  const reload = async (): Promise<void> => {
    if (reading) {
      readAgain = true; // a change arrived mid-read: read once more afterwards
      return;
    }
    reading = true;
    let failedReads = 0;
    try {
      do {
        readAgain = false;
        let files: Record<string, string>;
        try {
          files = await loadConfigDir(dir);
        } catch (err) {
          if (++failedReads < READ_ATTEMPTS && !closed) {
            await delay(READ_RETRY_MS);
            readAgain = true;
            continue;
          }
          // It persists (a dangling `..data`, a removed file): reported (logged and counted)
          // through the store like a rejected version, once per distinct error; the next
          // event or poll reads again.
          const message = errorMessage(err);
          if (!closed && message !== lastReadError) store.readFailed(origin, message);
          lastReadError = message;
          continue;
        }
        if (closed) return;
        failedReads = 0;
        lastReadError = undefined;
        try {
          await store.update(files, origin);
        } catch (err) {
          // A reload listener threw; the store itself is consistent. Keep watching.
          log.error({ dir, err: errorMessage(err) }, 'handling a new configuration version failed');
        }
      } while (readAgain && !closed);
    } finally {
      reading = false;
    }
  };

  const scheduleReload = (): void => {
    if (closed) return;
    if (debounceTimer) clearTimeout(debounceTimer);
    debounceTimer = setTimeout(() => {
      debounceTimer = undefined;
      void reload();
    }, debounceMs);
    debounceTimer.unref();
  };

  const startWatcher = (): void => {
    if (options.useFsWatch === false || watcher || closed) return;
    try {
      const w = watch(dir, { persistent: false }, () => scheduleReload());
      w.on('error', (err) => {
        // e.g. the folder was removed; polling continues and re-creates the watcher.
        log.warn({ dir, err: errorMessage(err) }, 'config directory watch failed; polling until it can be watched again');
        w.close();
        if (watcher === w) watcher = undefined;
      });
      watcher = w;
    } catch (err) {
      log.warn({ dir, err: errorMessage(err) }, 'cannot watch config directory; polling only');
    }
  };

  startWatcher();
  const pollTimer = setInterval(() => {
    startWatcher();
    void reload();
  }, pollIntervalMs);
  pollTimer.unref();

  return {
    close() {
      closed = true;
      clearInterval(pollTimer);
      if (debounceTimer) clearTimeout(debounceTimer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
