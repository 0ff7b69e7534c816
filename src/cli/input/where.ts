// Where something is in the manifests `inject`, `explain` and `check` read, for messages
// and errors: the file, the document, a JSON pointer, a line, the object.
import { escapePointer } from '../../injection/patch.js';

export type PathSegment = string | number;

/** Where something in the input is, for messages: `file: document 2 at /items/0, line 7 (Deployment/web)`. */
export interface Where {
  source: string;
  /** 1-based, as an editor counts documents. */
  document?: number;
  /** JSON pointer inside the document. */
  pointer?: string;
  /** 1-based line in the input. */
  line?: number;
  /** kind/name */
  object?: string;
}

export function describeWhere(where: Where): string {
  let text = where.source;
  if (where.document !== undefined) text += `: document ${where.document}`;
  if (where.pointer) text += ` at ${where.pointer}`;
  if (where.line !== undefined) text += `, line ${where.line}`;
  if (where.object) text += ` (${where.object})`;
  return text;
}

/** The input cannot be used (exit code 1). The message names the file, document and field. */
export class InputError extends Error {
  readonly exitCode = 1;
  constructor(readonly where: Where, readonly detail: string) {
    super(`${describeWhere(where)}: ${detail}`);
    this.name = 'InputError';
  }
}

/** 1-based line of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** A JSON pointer (RFC 6901) to `path`. */
export function pointerOf(path: readonly PathSegment[]): string {
  return path.map((s) => `/${escapePointer(String(s))}`).join('');
}

/** One segment of a JSON pointer, unescaped. */
export function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
