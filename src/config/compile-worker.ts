// The worker thread of compile-bounded.ts: parses, validates and trial-renders one
// configuration version, and hands back the parsed files (plain data) or the error. Runs
// under the heap limit and the clock of its parent; may be terminated at any point.
import { parentPort, workerData } from 'node:worker_threads';
import { buildSnapshot, checkDefaults, ConfigError, parseConfigFiles, type CompileOptions } from './compile.js';

export type WorkerMessage =
  | { kind: 'started' }
  | { kind: 'at'; file: string; field: '(parse)' | '(render)' }
  | { kind: 'compiled'; parsed: ReturnType<typeof parseConfigFiles> }
  | { kind: 'rejected'; message: string; file?: string; field?: string; bare: string };

const { files, options } = workerData as { files: Record<string, string>; options: CompileOptions };
const post = (message: WorkerMessage): void => parentPort!.postMessage(message);

post({ kind: 'started' });
try {
  const parsed = parseConfigFiles(files, (file) => post({ kind: 'at', file, field: '(parse)' }));
  checkDefaults(buildSnapshot(files, parsed, options, false), (file) => post({ kind: 'at', file, field: '(render)' }));
  post({ kind: 'compiled', parsed });
} catch (err) {
  const error = err instanceof Error ? err : new Error(String(err));
  const config = error instanceof ConfigError ? error : undefined;
  post({ kind: 'rejected', message: error.message, file: config?.file, field: config?.field, bare: config?.bare ?? error.message });
}
