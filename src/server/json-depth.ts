// A bound on how deeply a JSON body nests: a body of a few MiB of `[[[[...` costs seconds
// of the one JS thread and hundreds of MiB to parse, while no pod nests more than a few
// dozen levels. Two checks count the same levels (each object or array is one):
// - on the bytes, before JSON.parse: one pass over the characters, skipping strings (with
//   their escapes), stopping at the first level over the bound. Every large body pays for
//   the pass, so it only counts levels; the keys and indexes of the path are only followed
//   again for a body found too deep.
// - on a parsed value (valueNestsDeeper): for small bodies, whose parse stays cheap however
//   they nest (json-body.ts); walking the values costs less than the pass over the bytes.

export interface TooDeep {
  /** Nesting level reached (the bound plus one). */
  depth: number;
  /** Character offset of the opening bracket over the bound. */
  offset: number;
  /** Path of the container that holds it, e.g. `request.object.spec.x[0][0]`. */
  path: string;
}

const QUOTE = 0x22, BACKSLASH = 0x5c, COLON = 0x3a, COMMA = 0x2c;
const OPEN_OBJECT = 0x7b, CLOSE_OBJECT = 0x7d, OPEN_ARRAY = 0x5b, CLOSE_ARRAY = 0x5d;
/** Path segments shown in an error; a deep path is cut there. */
const PATH_SEGMENTS_SHOWN = 12;

interface Level { array: boolean; key: string; index: number }

/**
 * The first place `text` (a string, or its UTF-8 bytes) nests deeper than `maxDepth`, or
 * undefined. Malformed JSON is left to the parser.
 */
export function findTooDeep(text: string | Uint8Array, maxDepth: number): TooDeep | undefined {
  if (typeof text === 'string') return bytesNestDeeper(Buffer.from(text, 'utf8'), maxDepth) ? locateTooDeep(text, maxDepth) : undefined;
  return bytesNestDeeper(text, maxDepth) ? locateTooDeep(Buffer.from(text.buffer, text.byteOffset, text.length).toString('utf8'), maxDepth) : undefined;
}

/**
 * Whether the UTF-8 `bytes` nest deeper than `maxDepth`: the pass every body gets,
 * allocating nothing. Over bytes it is about twice as fast as over a string's characters
 * (a byte of a multi-byte character is never one of the ASCII characters looked for).
 */
function bytesNestDeeper(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      for (i++; i < n; i++) {
        const s = bytes[i];
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && depth > 0) {
      depth--;
    }
  }
  return false;
}

/** Where `text` first nests deeper than `maxDepth`, with the path to it. */
function locateTooDeep(text: string, maxDepth: number): TooDeep | undefined {
  const levels: Level[] = [];
  let lastString = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      for (i = start; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
      lastString = text.slice(start, Math.min(i, start + 256));
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (levels.length >= maxDepth) return { depth: levels.length + 1, offset: i, path: pathOf(levels) };
      levels.push({ array: c === OPEN_ARRAY, key: '', index: 0 });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      levels.pop();
    } else if (c === COLON) {
      const top = levels[levels.length - 1];
      if (top) top.key = lastString;
    } else if (c === COMMA) {
      const top = levels[levels.length - 1];
      if (top?.array) top.index++;
    }
  }
  return undefined;
}

/**
 * Whether a parsed JSON value nests deeper than `maxDepth`, counted as findTooDeep counts
 * the text. Iterative (a deep value cannot overflow the stack); stops at the first level
 * over the bound.
 */
export function valueNestsDeeper(value: unknown, maxDepth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const values: object[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const current = values.pop()!;
    const depth = depths.pop()!;
    if (depth > maxDepth) return true;
    if (Array.isArray(current)) {
      for (const item of current) {
        if (typeof item === 'object' && item !== null) { values.push(item); depths.push(depth + 1); }
      }
    } else {
      for (const key in current) {
        const item = (current as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) { values.push(item); depths.push(depth + 1); }
      }
    }
  }
  return false;
}

function pathOf(levels: Level[]): string {
  // Each open container contributes where the next one sits in it: its current key or index.
  const segments = levels.map((level) => (level.array ? `[${level.index}]` : `.${level.key}`));
  const shown = segments.slice(0, PATH_SEGMENTS_SHOWN).join('').replace(/^\./, '');
  return segments.length > PATH_SEGMENTS_SHOWN ? `${shown}...` : shown;
}
