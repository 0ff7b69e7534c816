// A stand-in compiler for store and source tests: config.yaml containing "invalid" is
// rejected, anything else compiles to a snapshot that remembers its text.
import { ConfigError, type CompileOptions } from '../../../src/config/compile.js';
import { contentRevision, type ConfigFiles } from '../../../src/config/store.js';
import type { Snapshot } from '../../../src/injection/types.js';

export interface FakeSnapshot extends Snapshot {
  readonly values: { text: string; templates: string[]; ownNamespace?: string };
}

export function fakeCompile(files: ConfigFiles, options: CompileOptions): Snapshot {
  const text = files['config.yaml'];
  if (text === undefined) throw new ConfigError('missing; the configuration needs config.yaml', 'config.yaml');
  if (text.includes('invalid')) throw new ConfigError('expected enabled or disabled', 'config.yaml', 'policy');
  const templates = Object.keys(files).filter((k) => k.endsWith('.template.yaml')).sort();
  return {
    revision: contentRevision(files),
    policy: 'enabled',
    defaultTemplates: [],
    neverInjectSelector: [],
    alwaysInjectSelector: [],
    ignoredNamespaces: new Set(),
    injectedAnnotations: {},
    compat: { istio: false },
    values: { text, templates, ownNamespace: options.ownNamespace },
    templates: new Map(),
  } as FakeSnapshot;
}

/** The text of config.yaml the snapshot was built from. */
export function textOf(snapshot: Snapshot | undefined): string | undefined {
  return (snapshot as FakeSnapshot | undefined)?.values.text;
}
