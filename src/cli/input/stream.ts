// The shapes of a parsed input stream (YAML documents or JSON values), shared by the two
// stream readers and the commands that read them.
import type { PatchOperation } from '../../injection/types.js';
import type { PathSegment } from './where.js';

export type InputFormat = 'yaml' | 'json';

export interface SourceDocument {
  /** 1-based position in the input. */
  index: number;
  /** The document as plain data (null for an empty document). */
  value: unknown;
}

/** What to write instead of one document. */
export interface DocumentEdit {
  /** The whole new document. */
  value: unknown;
  /** Where it differs from the old one: each pod's path and the `add` ops against that pod. */
  sites: Array<{ path: PathSegment[]; patch: PatchOperation[] }>;
}

export interface ParsedInput {
  source: string;
  format: InputFormat;
  documents: SourceDocument[];
  /** The input text with the edited documents (by index) rewritten and all else as it was. */
  render(edits: ReadonlyMap<number, DocumentEdit>): string;
}

/** The value at `path` inside `root`, or undefined when the path leaves the data. */
export function valueAt(root: unknown, path: PathSegment[]): unknown {
  let v = root;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}
