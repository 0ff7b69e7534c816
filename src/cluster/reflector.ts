// Keeps a local view of one kind of Kubernetes object current: list, then watch from the
// list's resourceVersion, forever. After an error or an apiserver restart it reconnects
// with capped exponential backoff and jitter; when the server says the resourceVersion
// is gone (410) it lists again. Each object is reduced by `project` as soon as it
// arrives, so the full objects (managedFields and all) are never kept.
import { errorMessage, silentLog, type Log } from './log.js';

export interface KubeObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface ListPage<T> {
  items: T[];
  resourceVersion: string;
  /** Set when more pages follow. */
  continueToken?: string;
}

export interface WatchHandle { abort(): void }

/** Raw watch event types as the apiserver sends them. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** How a reflector reaches the API; src/cluster/kube-client.ts has the real one. */
export interface ResourceClient<T> {
  /** For logs, e.g. `namespaces` or `configmap ns/name`. */
  readonly describe: string;
  /** `signal` aborts the request when the reflector stops. */
  list(page: { limit: number; continueToken?: string; signal: AbortSignal }): Promise<ListPage<T>>;
  /**
   * Opens a watch. `onDone` is called once when it ends: null for a clean close by the
   * server, an error otherwise. Resolves once the stream is open (or has failed).
   */
  watch(
    query: { resourceVersion: string; timeoutSeconds: number },
    onEvent: (type: string, object: unknown) => void,
    onDone: (err: unknown) => void,
  ): Promise<WatchHandle>;
}

export interface ReflectorHandlers<P> {
  /** The complete set after a (re)list: anything not in it is gone. */
  replace(items: P[]): void;
  upsert(item: P): void;
  remove(item: P): void;
}

export interface ReflectorOptions {
  log?: Log;
  /** First retry delay after a failure (default 500 ms); doubles per failure. */
  initialBackoffMs?: number;
  /** Largest retry delay (default 30 s). */
  maxBackoffMs?: number;
  /** Asks the server to end each watch after this long, so it is renewed (default 300 s). */
  watchTimeoutSeconds?: number;
  /** A watch still open this long after its server timeout is presumed dead and dropped (default 30 s). */
  watchGraceMs?: number;
  /** Objects per list page (default 500). */
  pageSize?: number;
  /** A watch shorter than this that delivered nothing counts as a failure (default 1000 ms). */
  minHealthyWatchMs?: number;
  /** Source of randomness for jitter; tests pin it. */
  random?: () => number;
}

/** An HTTP 410 from a list/watch request, or a watch ERROR event carrying code 410. */
export function isGone(err: unknown): boolean {
  const e = err as { statusCode?: unknown; code?: unknown } | null;
  return typeof e === 'object' && e !== null && (e.statusCode === 410 || e.code === 410);
}

/** Delay before retry number `failures` (1-based): capped doubling, then 50-100 % of it. */
export function backoffDelay(failures: number, initialMs: number, maxMs: number, random: () => number): number {
  const capped = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(capped * (0.5 + random() / 2));
}

interface WatchOutcome {
  resourceVersion: string;
  /** The server asked for a fresh list (410, or another ERROR event). */
  relist: boolean;
  /** Set for an ERROR event that was not a 410, or a transport failure. */
  error?: unknown;
  gone: boolean;
  healthy: boolean;
}

export class Reflector<T extends KubeObject, P> {
  /** Resolves once the first complete list has been handed to `replace`. */
  readonly synced: Promise<void>;
  private markSynced!: () => void;
  private isSynced = false;
  private stopped = false;
  private running = false;
  private readonly stopping = new AbortController();
  private currentWatch: WatchHandle | undefined;
  private cancelSleep: (() => void) | undefined;
  private readonly log: Log;
  private readonly opts: Required<Omit<ReflectorOptions, 'log'>>;

  constructor(
    private readonly client: ResourceClient<T>,
    private readonly project: (obj: T) => P,
    private readonly handlers: ReflectorHandlers<P>,
    options: ReflectorOptions = {},
  ) {
    this.synced = new Promise((resolve) => {
      this.markSynced = resolve;
    });
    this.log = options.log ?? silentLog;
    this.opts = {
      initialBackoffMs: options.initialBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
      watchGraceMs: options.watchGraceMs ?? 30_000,
      pageSize: options.pageSize ?? 500,
      minHealthyWatchMs: options.minHealthyWatchMs ?? 1000,
      random: options.random ?? Math.random,
    };
  }

  get hasSynced(): boolean {
    return this.isSynced;
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.run();
  }

  /** Stops for good: aborts the open watch and any pending retry. */
  stop(): void {
    this.stopped = true;
    this.stopping.abort();
    this.currentWatch?.abort();
    this.cancelSleep?.();
  }

  private async run(): Promise<void> {
    let resourceVersion = '';
    let failures = 0;
    let goneInARow = 0;
    while (!this.stopped) {
      try {
        if (resourceVersion === '') {
          resourceVersion = await this.listAll();
          if (this.stopped) return;
          failures = 0;
          if (!this.isSynced) {
            this.isSynced = true;
            this.markSynced();
          }
        }
        const outcome = await this.watchOnce(resourceVersion);
        if (this.stopped) return;
        resourceVersion = outcome.relist ? '' : outcome.resourceVersion;
        if (outcome.error !== undefined) throw outcome.error;
        if (outcome.healthy) {
          failures = 0;
          goneInARow = 0;
        }
        if (outcome.gone) {
          // Normal after a long disconnect or an apiserver restart: list again at once,
          // but back off if the server keeps answering 410 to a fresh list.
          this.log.info({ resource: this.client.describe }, 'watch expired (410 Gone); listing again');
          if (++goneInARow === 1) continue;
          throw new Error('watch expired again right after a fresh list');
        }
        if (!outcome.healthy) throw new Error('watch closed right after it opened');
      } catch (err) {
        if (this.stopped) return;
        if (isGone(err)) {
          resourceVersion = ''; // a list's continue token expired, or a watch was refused with 410
          if (++goneInARow === 1) continue;
        }
        failures++;
        const delayMs = backoffDelay(failures, this.opts.initialBackoffMs, this.opts.maxBackoffMs, this.opts.random);
        this.log.warn({ resource: this.client.describe, err: errorMessage(err), failures, retryInMs: delayMs }, 'Kubernetes list/watch failed; retrying');
        await this.sleep(delayMs);
      }
    }
  }

  /** Lists page by page, projecting each page at once; returns the list's resourceVersion. */
  private async listAll(): Promise<string> {
    const items: P[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.client.list({ limit: this.opts.pageSize, continueToken, signal: this.stopping.signal });
      if (this.stopped) return '';
      for (const obj of page.items) items.push(this.project(obj));
      resourceVersion = page.resourceVersion;
      continueToken = page.continueToken || undefined;
    } while (continueToken !== undefined);
    this.deliver(() => this.handlers.replace(items));
    return resourceVersion;
  }

  private watchOnce(fromVersion: string): Promise<WatchOutcome> {
    return new Promise((resolve) => {
      const startedAt = Date.now();
      let resourceVersion = fromVersion;
      let events = 0;
      let relist = false;
      let gone = false;
      let error: unknown;
      let settled = false;
      let handle: WatchHandle | undefined;

      const finish = (err: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        this.currentWatch = undefined;
        handle?.abort();
        if (error === undefined && err !== null && err !== undefined && !this.stopped) {
          if (isGone(err)) {
            gone = true;
            relist = true;
          } else {
            error = err;
          }
        }
        const healthy = events > 0 || Date.now() - startedAt >= this.opts.minHealthyWatchMs;
        resolve({ resourceVersion, relist, error, gone, healthy });
      };

      // The server ends each watch after timeoutSeconds; one still open well past that is
      // on a dead connection (a vanished apiserver does not always reset TCP).
      const watchdog = setTimeout(() => finish(null), this.opts.watchTimeoutSeconds * 1000 + this.opts.watchGraceMs);
      watchdog.unref();

      const onEvent = (type: string, object: unknown): void => {
        if (settled) return;
        const obj = object as T & { code?: number; message?: string };
        switch (type as WatchEventType) {
          case 'ADDED':
          case 'MODIFIED':
            events++;
            this.deliver(() => this.handlers.upsert(this.project(obj)));
            break;
          case 'DELETED':
            events++;
            this.deliver(() => this.handlers.remove(this.project(obj)));
            break;
          case 'BOOKMARK':
            break;
          case 'ERROR':
            // A Status object. 410: our resourceVersion is too old. Anything else (e.g.
            // "too large resource version" after an etcd restore): list again too.
            relist = true;
            if (obj?.code === 410) gone = true;
            else error = new Error(`watch error from the apiserver: ${obj?.message ?? JSON.stringify(object)}`);
            finish(null);
            return;
          default:
            return;
        }
        const version = obj?.metadata?.resourceVersion;
        if (version) resourceVersion = version;
      };

      this.client
        .watch({ resourceVersion: fromVersion, timeoutSeconds: this.opts.watchTimeoutSeconds }, onEvent, (err) => finish(err))
        .then(
          (h) => {
            handle = h;
            if (settled) h.abort();
            else this.currentWatch = h;
          },
          (err) => finish(err ?? new Error('watch failed to start')),
        );
    });
  }

  /** Runs a handler; its exceptions are logged, never allowed to stop the loop. */
  private deliver(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ resource: this.client.describe, err: errorMessage(err) }, 'handler for a Kubernetes change failed');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.cancelSleep = () => {
        this.cancelSleep = undefined;
        done();
      };
    });
  }
}
