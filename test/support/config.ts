// Test helpers: the built-in configuration, optionally with overrides and extra templates.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { compileSnapshot } from '../../src/config/compile.js';
import type { Snapshot } from '../../src/injection/types.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TEMPLATES_DIR = join(ROOT, 'templates');
/** AdmissionReviews captured from a real kube-apiserver (see its README.md). */
export const FIXTURES_DIR = join(ROOT, 'test', 'fixtures', 'admission-reviews');
export const EXTRA_TEMPLATES_DIR = join(ROOT, 'test', 'golden', 'templates');

export function readConfigFiles(dir: string = TEMPLATES_DIR): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    if (name === 'config.yaml' || name.endsWith('.template.yaml')) files[name] = readFileSync(join(dir, name), 'utf8');
  }
  return files;
}

/** Shallow-merges `overrides` into config.yaml's top level (and `values` one level deeper). */
export function configFiles(overrides: Record<string, unknown> = {}, extraTemplates: string[] = []): Record<string, string> {
  const files = readConfigFiles();
  const config = parse(files['config.yaml']) as Record<string, unknown>;
  const { values, ...rest } = overrides;
  Object.assign(config, rest);
  if (values) config.values = { ...(config.values as object), ...(values as object) };
  files['config.yaml'] = stringify(config);
  for (const name of extraTemplates) {
    files[`${name}.template.yaml`] = readFileSync(join(EXTRA_TEMPLATES_DIR, `${name}.template.yaml`), 'utf8');
  }
  return files;
}

export function snapshotWith(overrides: Record<string, unknown> = {}, extraTemplates: string[] = []): Snapshot {
  return compileSnapshot(configFiles(overrides, extraTemplates), { ownNamespace: 'sidecar-injector' });
}
