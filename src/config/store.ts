// Holds the configuration in force. Sources (directory watcher, ConfigMap watch) hand it
// every version they see; it compiles each new one and swaps it in only if it compiles,
// so a bad version never replaces a good one. Compiling is asynchronous (a worker
// thread, compile-bounded.ts); the swap itself is one assignment.
import type { Snapshot } from '../injection/types.js';
import { compileBounded } from './compile-bounded.js';
import { CONFIG_FILE, ConfigError, revisionOf, TEMPLATE_SUFFIX, type CompileOptions } from './compile.js';

/** The files of one configuration version: key -> text (other keys are ignored). */
export type ConfigFiles = Readonly<Record<string, string>>;

export type CompileFn = (files: ConfigFiles, options: CompileOptions) => Snapshot | Promise<Snapshot>;

/** One attempt to load a new configuration version, for logs and the reload metric. */
export interface ReloadReport {
  result: 'success' | 'failure';
  /** The content hash of the version tried (on success, the new snapshot's revision); `unreadable` when it could not be read. */
  revision: string;
  /** The revision in force before the attempt (and still in force after a failure). */
  previousRevision?: string;
  /** Where the version came from, e.g. `dir /etc/sidecar-injector` or `configmap ns/name@123`. */
  origin: string;
  /** Why it was rejected: the whole message, including file and field. */
  error?: string;
  /** The file (key) at fault, when known. */
  file?: string;
  /** The field at fault inside that file, when known. */
  field?: string;
}

export type ReloadListener = (report: ReloadReport) => void;

export interface ConfigStoreOptions {
  /** The injector's own namespace (always ignored for injection). */
  ownNamespace?: string;
  /** Replaces the compiler (default: compileBounded, in a worker thread); tests pass a fake one. */
  compile?: CompileFn;
}

/** Same content hash compileSnapshot uses for `revision`: over the keys it reads. */
export function contentRevision(files: ConfigFiles): string {
  const names = Object.keys(files).filter((n) => n === CONFIG_FILE || n.endsWith(TEMPLATE_SUFFIX)).sort();
  return revisionOf(files, names);
}

export class ConfigStore {
  private snapshot: Snapshot | undefined;
  /** Content hash of the last version tried, good or bad: the same content is not retried. */
  private lastTried: string | undefined;
  private lastFailureReport: ReloadReport | undefined;
  private readonly listeners = new Set<ReloadListener>();
  private readonly compile: CompileFn;
  private readonly ownNamespace: string | undefined;
  /** Versions are compiled one at a time, in the order they arrive. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: ConfigStoreOptions = {}) {
    this.compile = options.compile ?? compileBounded;
    this.ownNamespace = options.ownNamespace;
  }

  /** The configuration in force; undefined until a first version compiles. */
  get current(): Snapshot | undefined {
    return this.snapshot;
  }

  /** The last rejected version's report, while no later version has loaded. */
  get lastFailure(): ReloadReport | undefined {
    return this.lastFailureReport;
  }

  /** Calls `listener` after each attempt (not for no-ops). Returns an unsubscribe function. */
  onReload(listener: ReloadListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Tries a configuration version. Resolves its report, or undefined when it is the same
   * content as the last version tried (a no-op: nothing compiled, nothing reported).
   * Versions are compiled one at a time, in the order of the calls.
   */
  update(files: ConfigFiles, origin: string): Promise<ReloadReport | undefined> {
    const revision = contentRevision(files);
    if (revision === this.lastTried) return Promise.resolve(undefined);
    this.lastTried = revision;
    const attempt = this.queue.then(() => this.attempt(files, origin, revision));
    this.queue = attempt.catch(() => undefined);
    return attempt;
  }

  /**
   * A version that could not even be read (e.g. a `..data` link to nowhere): reported and
   * counted like a rejected one; the configuration in force stays.
   */
  readFailed(origin: string, error: string, file?: string): ReloadReport {
    const report: ReloadReport = { result: 'failure', revision: 'unreadable', previousRevision: this.snapshot?.revision, origin, error };
    if (file !== undefined) report.file = file;
    this.lastFailureReport = report;
    for (const listener of this.listeners) listener(report);
    return report;
  }

  private async attempt(files: ConfigFiles, origin: string, revision: string): Promise<ReloadReport> {
    const previousRevision = this.snapshot?.revision;
    let report: ReloadReport;
    try {
      const next = await this.compile(files, { ownNamespace: this.ownNamespace });
      this.snapshot = next;
      this.lastFailureReport = undefined;
      report = { result: 'success', revision: next.revision, previousRevision, origin };
    } catch (err) {
      // Anything thrown (a ConfigError, or a compiler bug) rejects the version as a whole.
      report = { result: 'failure', revision, previousRevision, origin, error: err instanceof Error ? err.message : String(err) };
      if (err instanceof ConfigError) {
        if (err.file !== undefined) report.file = err.file;
        if (err.field !== undefined) report.field = err.field;
      }
      this.lastFailureReport = report;
    }
    for (const listener of this.listeners) listener(report);
    return report;
  }
}
