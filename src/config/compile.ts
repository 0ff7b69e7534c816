// Parses, validates and compiles one configuration version into an immutable Snapshot.
import type { Snapshot } from '../injection/types.js';

/** A configuration that cannot be used: names the file and field at fault. */
export class ConfigError extends Error {
  constructor(message: string, readonly file?: string, readonly field?: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface CompileOptions {
  /** The injector's own namespace: always ignored. */
  ownNamespace?: string;
}

/**
 * Builds a Snapshot from the files of a config directory or ConfigMap: key `config.yaml`
 * and keys `<name>.template.yaml`. Other keys are ignored. Throws ConfigError.
 */
export function compileSnapshot(_files: Readonly<Record<string, string>>, _options: CompileOptions = {}): Snapshot {
  throw new ConfigError('not implemented yet');
}
