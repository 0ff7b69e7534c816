// A linear pre-scan of YAML text, run before the YAML library sees text a client or a
// config author controls. The library's cost grows much faster than the text: 8,192
// nested `[` cost 50-70 ms (and a second such parse in a fresh process aborted in V8's
// regular-expression compiler), a 1,000-deep compact `- - -` sequence 35 ms, a few
// thousand entries tens of ms. The scan counts, in one pass and without tokenising (so it
// cannot be fooled by quotes or comments: it over-counts, never under-counts):
// - flow openers: every `[` and `{`, an upper bound of the flow nesting depth and of the
//   flow collections;
// - entries: line breaks plus commas plus flow openers, an upper bound of the nodes;
// - indentation: the widest run of ` `, tab, `-`, `?`, `:` opening a line, an upper bound
//   of the block nesting depth (each nested block collection starts at least one column
//   further right, compact `- - x` ones too).

export interface YamlShapeLimits {
  /** Most `[` and `{` characters (flow collections, and so flow depth). */
  maxFlowOpeners: number;
  /** Most entries (line breaks + commas + flow openers). */
  maxEntries: number;
  /** Widest line opening of spaces and block indicators (block depth). */
  maxIndent: number;
}

export interface YamlShape {
  flowOpeners: number;
  entries: number;
  indent: number;
}

const NEWLINE = 10;
const COMMA = 44;
const OPEN_BRACKET = 91;
const OPEN_BRACE = 123;

function isLineOpening(c: number): boolean {
  return c === 32 || c === 9 || c === 45 /* - */ || c === 63 /* ? */ || c === 58 /* : */;
}

/** Counts what YamlShapeLimits bounds, in one pass over `text`. */
export function yamlShape(text: string): YamlShape {
  let flowOpeners = 0;
  let entries = 0;
  let indent = 0;
  let lineOpening = 0;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE) {
      entries++;
      atLineStart = true;
      lineOpening = 0;
      continue;
    }
    if (atLineStart) {
      if (isLineOpening(c)) {
        if (++lineOpening > indent) indent = lineOpening;
      } else {
        atLineStart = false;
      }
    }
    if (c === COMMA) entries++;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      flowOpeners++;
      entries++;
    }
  }
  return { flowOpeners, entries, indent };
}

/** What is over a limit, said for a message ("…, of at most N …"); undefined when within. */
export function yamlShapeProblem(text: string, limits: YamlShapeLimits): string | undefined {
  const shape = yamlShape(text);
  if (shape.flowOpeners > limits.maxFlowOpeners) {
    return `it has ${shape.flowOpeners} '[' and '{'; at most ${limits.maxFlowOpeners} flow collections are accepted`;
  }
  if (shape.indent > limits.maxIndent) {
    return `a line is indented or nested ${shape.indent} columns deep; at most ${limits.maxIndent} are accepted`;
  }
  if (shape.entries > limits.maxEntries) {
    return `it has ${shape.entries} entries (lines, commas and flow collections); at most ${limits.maxEntries} are accepted`;
  }
  return undefined;
}

/**
 * The deepest flow nesting (`[` and `{`) of `text`, reading quoted scalars and comments as
 * YAML does where it matters: a bracket inside 'single' or "double" quotes or after ` #`
 * does not count. Quotes are recognised only where a scalar can start; a bracket after a
 * quote YAML would read as plain text is still counted (over-counting is the safe side).
 */
export function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let previous = 10; // as after a line break
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const tokenStart = previous === 10 || previous === 32 || previous === 9 || previous === 13
      || previous === 91 || previous === 123 || previous === 44 || previous === 58;
    if (c === 35 /* # */ && (previous === 32 || previous === 9 || previous === 10)) {
      while (i < text.length && text.charCodeAt(i) !== 10) i++;
      previous = 10;
      continue;
    }
    if ((c === 34 /* " */ || c === 39 /* ' */) && tokenStart) {
      for (i++; i < text.length; i++) {
        const q = text.charCodeAt(i);
        if (c === 34 && q === 92 /* \ */) { i++; continue; }
        if (q === c) {
          if (c === 39 && text.charCodeAt(i + 1) === 39) { i++; continue; } // '' inside '…'
          break;
        }
      }
      previous = c;
      continue;
    }
    if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > max) max = depth;
    } else if ((c === 93 /* ] */ || c === 125 /* } */) && depth > 0) {
      depth--;
    }
    previous = c;
  }
  return max;
}
