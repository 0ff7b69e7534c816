// Input for `inject` and `explain`: a stream of YAML documents or of JSON values, the pods
// and pod templates inside them, and the same text written back with some documents
// changed. Pure: text in, values and text out. Each job in its own module of input/:
// locations and errors (where.ts), the YAML stream (yaml-stream.ts), the JSON stream and
// its scanner (json-stream.ts), finding pods (pods.ts).
import { parseJsonStream } from './input/json-stream.js';
import type { InputFormat, ParsedInput } from './input/stream.js';
import { parseYamlStream } from './input/yaml-stream.js';

export { jsonErrorOffset } from './input/json-stream.js';
export { describeSite, locatePods, POD_KINDS, type PodSite } from './input/pods.js';
export type { DocumentEdit, InputFormat, ParsedInput, SourceDocument } from './input/stream.js';
export { describeWhere, InputError, pointerOf, type PathSegment, type Where } from './input/where.js';

/** JSON when the first thing in the input opens an object or array; otherwise YAML. */
export function detectFormat(text: string): InputFormat {
  const first = /\S/.exec(text.replace(/^\uFEFF/, ''));
  return first && (first[0] === '{' || first[0] === '[') ? 'json' : 'yaml';
}

/** Parses multi-document YAML or a stream of JSON values. Throws InputError. */
export function parseInput(text: string, source: string): ParsedInput {
  return detectFormat(text) === 'json' ? parseJsonStream(text, source) : parseYamlStream(text, source);
}
