// A stream of JSON values (as `kubectl get -o json` prints them, one after another): split
// by a scanner of its own, since JSON.parse takes one value, each value parsed, the first
// syntax error located, and the stream written back with some values changed.
import type { ParsedInput, SourceDocument } from './stream.js';
import { InputError, lineAt } from './where.js';

interface Span {
  start: number;
  end: number;
}

/** Splits concatenated JSON values (as `kubectl get -o json` output, one after another). */
function splitJsonValues(text: string, source: string): Span[] {
  const spans: Span[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) return spans;
    const start = i;
    const where = { source, document: spans.length + 1, line: lineAt(text, start) };
    if (text[i] !== '{' && text[i] !== '[') {
      throw new InputError(where, `invalid JSON: expected an object starting with "{", found "${text[i]}"`);
    }
    let depth = 0;
    let inString = false;
    for (; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') {
        inString = true;
      } else if (c === '{' || c === '[') {
        depth++;
      } else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      }
    }
    if (depth !== 0) throw new InputError(where, 'invalid JSON: the value is not closed (a "}" or "]" is missing)');
    spans.push({ start, end: i });
  }
}

export function parseJsonStream(text: string, source: string): ParsedInput {
  const spans = splitJsonValues(text, source);
  const documents = spans.map((span, i): SourceDocument => {
    const body = text.slice(span.start, span.end);
    try {
      return { index: i + 1, value: JSON.parse(body) };
    } catch (err) {
      const { offset, message } = jsonProblem(body, (err as Error).message);
      throw new InputError({ source, document: i + 1, line: lineAt(text, span.start + offset) }, `invalid JSON: ${message}`);
    }
  });
  return {
    source, format: 'json', documents,
    render(edits) {
      let out = '';
      let from = 0;
      spans.forEach((span, i) => {
        const edit = edits.get(i + 1);
        const body = text.slice(span.start, span.end);
        out += text.slice(from, span.start) + (edit ? writeJsonDocument(body, edit.value) : body);
        from = span.end;
      });
      return out + text.slice(from);
    },
  };
}

/** Offset of the first JSON syntax error in `text` (its length when the text ends early). */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = () => {
    if (text[i] !== '"') fail();
    for (i++; i < text.length && text[i] !== '"'; i++) {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          space();
          string();
          space();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        space();
        if (text[i] === close) {
          i++;
          return;
        }
        if (text[i] !== ',') fail();
        i++;
      }
    }
    if (c === '"') return string();
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 400));
    if (number) {
      i += number[0].length;
      return;
    }
    literal(c === 't' ? 'true' : c === 'f' ? 'false' : 'null');
  };
  try {
    value();
    space();
    return i < text.length ? i : -1;
  } catch (at) {
    return at as number;
  }
}

/** Where JSON.parse failed, and its message without the copy of the input some Node versions append. */
function jsonProblem(body: string, message: string): { offset: number; message: string } {
  const offset = jsonErrorOffset(body);
  return { offset: Math.max(offset, 0), message: message.replace(/, "[\s\S]*" is not valid JSON$/, '') };
}

/** Keeps the original's style: one line stays one line, else its indentation. */
function writeJsonDocument(original: string, value: unknown): string {
  if (!original.includes('\n')) return JSON.stringify(value);
  const indent = /\n([ \t]+)\S/.exec(original)?.[1] ?? '  ';
  return JSON.stringify(value, null, indent);
}
