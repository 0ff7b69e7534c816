// Compiles a configuration version for the server without putting the event loop at its
// mercy: parsing, validation and the trial renders (where a template like
// `{$eval: 'str(len(range(0, 60000000)))'}` runs) happen in a worker thread with a heap
// limit and a wall-clock limit; the worker is terminated when it exceeds either, and the
// version is rejected. Only a version the worker compiled is built again here, from the
// parsed data it sends back (no YAML parsing, no rendering on the event loop: linear work
// over at most CONFIG_LIMITS.maxTotalBytes).
import { Worker } from 'node:worker_threads';
import type { Snapshot } from '../injection/types.js';
import { buildSnapshot, CONFIG_FILE, ConfigError, TEMPLATE_SUFFIX, type CompileOptions, type ParsedConfig } from './compile.js';
import type { WorkerMessage } from './compile-worker.js';
import { checkSizes } from './parse.js';

export interface WorkerLimits {
  /** Wall-clock time for parsing, validating and trial-rendering, from the worker's start. */
  timeoutMs: number;
  /** Time for the worker to load its modules (slow only on a starved machine). */
  startTimeoutMs: number;
  /** V8 old-generation heap of the worker, in MB. */
  heapMb: number;
}

export const WORKER_LIMITS: Readonly<WorkerLimits> = Object.freeze({ timeoutMs: 5_000, startTimeoutMs: 60_000, heapMb: 64 });

// Built, the worker is the .js beside this file; under the test runner's loader, the .ts.
const WORKER_FILE = new URL(import.meta.url.endsWith('.ts') ? './compile-worker.ts' : './compile-worker.js', import.meta.url);

function runWorker(files: Readonly<Record<string, string>>, options: CompileOptions, limits: WorkerLimits): Promise<ParsedConfig> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let current: [string, string] | undefined; // the file being parsed or rendered, for the error
    const worker = new Worker(WORKER_FILE, {
      workerData: { files, options },
      resourceLimits: { maxOldGenerationSizeMb: limits.heapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
      stdout: true, // a template cannot write to the server's log stream
      stderr: true,
    });
    const finish = (error: ConfigError | undefined, parsed?: ParsedConfig): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (error) reject(error);
      else resolve(parsed!);
    };
    const atFault = (): [string | undefined, string | undefined] => current ?? [undefined, undefined];
    let timer = setTimeout(() => finish(new ConfigError(`the compiler did not start within ${limits.startTimeoutMs} ms`)), limits.startTimeoutMs);
    worker.on('message', (message: WorkerMessage) => {
      switch (message.kind) {
        case 'started':
          clearTimeout(timer);
          timer = setTimeout(() => {
            finish(new ConfigError(`compiling and trial-rendering took more than ${limits.timeoutMs} ms (stopped); a template must render in well under that`, ...atFault()));
          }, limits.timeoutMs);
          return;
        case 'at':
          current = [message.file, message.field];
          return;
        case 'compiled':
          return finish(undefined, message.parsed);
        case 'rejected':
          return finish(new ConfigError(message.bare, message.file, message.field));
      }
    });
    worker.on('error', (err: Error & { code?: string }) => {
      const why = err.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? `compiling and trial-rendering needed more than the ${limits.heapMb} MB heap allowed (stopped)`
        : `the compiler failed: ${err.message}`;
      finish(new ConfigError(why, ...atFault()));
    });
    worker.on('exit', (code) => finish(new ConfigError(`the compiler stopped (exit code ${code}) before finishing`, ...atFault())));
  });
}

/**
 * Compiles `files` like compileSnapshot, with the work bounded in time and memory and
 * off the event loop. Throws (rejects with) ConfigError naming the file and field.
 */
export async function compileBounded(files: Readonly<Record<string, string>>, options: CompileOptions = {}, limits: WorkerLimits = WORKER_LIMITS): Promise<Snapshot> {
  // Cheap and on the text alone: a 13 MB version is refused before a thread is started.
  const names = Object.keys(files).filter((n) => n === CONFIG_FILE || n.endsWith(TEMPLATE_SUFFIX));
  checkSizes(files, names);
  const parsed = await runWorker(files, options, limits);
  return buildSnapshot(files, parsed, options, false);
}
