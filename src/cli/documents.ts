// Input for `inject` and `explain`: a stream of YAML documents or of JSON values, the pods
// and pod templates inside them, and the same text written back with some documents
// changed. Pure: text in, values and text out.
//
// Unchanged documents are written back byte for byte (taken from the parser's concrete
// syntax tree), so skipped objects, comments and separators survive and running `inject`
// on its own output changes nothing. A changed YAML document gets the engine's `add`
// operations applied to its syntax tree, which keeps the comments and layout of the rest.
import { isDeepStrictEqual } from 'node:util';
import {
  Composer, CST, LineCounter, Parser, isMap, isSeq,
  type Document, type DocumentOptions, type ParseOptions, type SchemaOptions, type ToStringOptions,
} from 'yaml';
import type { PatchOperation, Pod } from '../injection/types.js';

export type InputFormat = 'yaml' | 'json';
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

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** JSON when the first thing in the input opens an object or array; otherwise YAML. */
export function detectFormat(text: string): InputFormat {
  const first = /\S/.exec(text.replace(/^\uFEFF/, ''));
  return first && (first[0] === '{' || first[0] === '[') ? 'json' : 'yaml';
}

/** Parses multi-document YAML or a stream of JSON values. Throws InputError. */
export function parseInput(text: string, source: string): ParsedInput {
  return detectFormat(text) === 'json' ? parseJsonStream(text, source) : parseYamlStream(text, source);
}

// --- YAML ------------------------------------------------------------------------------

// YAML 1.1, as kubectl reads manifests: `on`, `yes` and `off` are booleans there, so the
// writer must quote such strings (an Envoy `--log-level off` would otherwise turn into false).
// Like kubectl's YAML decoder, timestamps (2024-01-31) and base-60 numbers (12:30) stay strings.
const YAML_OPTIONS: DocumentOptions & SchemaOptions & ParseOptions = {
  version: '1.1',
  uniqueKeys: true,
  customTags: (tags) => tags.filter((tag) => !(typeof tag === 'object' && (tag.tag === 'tag:yaml.org,2002:timestamp' || tag.format === 'TIME'))),
};
const WRITE_OPTIONS: ToStringOptions = { lineWidth: 0, flowCollectionPadding: false };

function parseYamlStream(text: string, source: string): ParsedInput {
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const composer = new Composer(YAML_OPTIONS);
  const docs: Document.Parsed[] = [];
  for (const token of tokens) docs.push(...composer.next(token));
  docs.push(...composer.end());

  const documents = docs.map((doc, i): SourceDocument => {
    const index = i + 1;
    const error = doc.errors[0];
    if (error) {
      const line = lines.linePos(error.pos[0]).line;
      throw new InputError({ source, document: index, line }, `invalid YAML: ${error.message.split('\n')[0]}`);
    }
    try {
      return { index, value: doc.toJS() };
    } catch (err) {
      throw new InputError({ source, document: index }, `invalid YAML: ${(err as Error).message}`);
    }
  });
  // Errors with no document to hold them (a bad directive in a stream of no documents).
  const stray = composer.streamInfo().errors[0];
  if (stray) {
    throw new InputError({ source, document: 1, line: lines.linePos(stray.pos[0]).line }, `invalid YAML: ${stray.message.split('\n')[0]}`);
  }

  const groups = tokenGroups(tokens);
  return {
    source, format: 'yaml', documents,
    render(edits) {
      const written = new Set<number>();
      return groups.map(({ owner, tokens: group }) => {
        const edit = owner === undefined ? undefined : edits.get(owner);
        if (!edit || owner === undefined) return group.map((token) => CST.stringify(token)).join('');
        if (written.has(owner)) return '';
        written.add(owner);
        const bom = group.some((token) => token.type === 'byte-order-mark') ? '\uFEFF' : '';
        return bom + writeYamlDocument(docs[owner - 1], edit);
      }).join('');
    },
  };
}

/**
 * Groups the top-level tokens by the document that owns them, as the composer assigns
 * them: comments and directives before a document belong to it (they become its leading
 * comment), and so do its `...` end marker and the comments after it. A rewritten
 * document writes all of them again, so each is replaced as a whole.
 */
function tokenGroups(tokens: CST.Token[]): Array<{ owner?: number; tokens: CST.Token[] }> {
  const groups: Array<{ owner?: number; tokens: CST.Token[] }> = [];
  let pending: CST.Token[] = [];
  let current: number | undefined;
  for (const token of tokens) {
    if (token.type === 'document') {
      current = (current ?? 0) + 1;
      groups.push({ owner: current, tokens: [...pending, token] });
      pending = [];
    } else if (token.type === 'doc-end') {
      groups.push({ owner: current, tokens: [...pending, token] });
      pending = [];
    } else {
      pending.push(token);
    }
  }
  if (pending.length > 0) groups.push({ owner: current, tokens: pending });
  return groups;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Applies `add` and `replace` operations (paths relative to `base`) to a YAML syntax tree. Throws if one does not fit. */
function addToYaml(doc: Document, base: PathSegment[], ops: PatchOperation[]): void {
  for (const op of ops) {
    if ((op.op !== 'add' && op.op !== 'replace') || !op.path.startsWith('/')) throw new Error(`unsupported operation ${op.op} ${op.path}`);
    const segments = op.path.slice(1).split('/').map(unescapePointer);
    const last = segments.pop()!;
    const parentPath = [...base, ...segments];
    // A flow collection (`[a, b]`, `{k: v}`) on the way would print the added containers on
    // one line: make the ancestors block style first.
    for (let depth = 0; depth <= parentPath.length; depth++) {
      const node = depth === 0 ? doc.contents : doc.getIn(parentPath.slice(0, depth), true);
      if ((isMap(node) || isSeq(node)) && node.flow) node.flow = false;
    }
    const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
    const value = doc.createNode(op.value, { aliasDuplicateObjects: false });
    if (isSeq(parent)) {
      const at = last === '-' ? parent.items.length : Number(last);
      const limit = op.op === 'replace' ? parent.items.length - 1 : parent.items.length;
      if (!Number.isInteger(at) || at < 0 || at > limit) throw new Error(`index ${last} out of range`);
      parent.items.splice(at, op.op === 'replace' ? 1 : 0, value);
    } else if (isMap(parent)) {
      parent.set(last, value);
    } else {
      throw new Error(`no collection at ${op.path}`);
    }
  }
}

function valueAt(root: unknown, path: PathSegment[]): unknown {
  let v = root;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/** Replaces each pod wholesale: loses comments inside the pods, keeps the rest. */
function replaceInYaml(doc: Document, edit: DocumentEdit): void {
  for (const site of edit.sites) {
    const node = doc.createNode(valueAt(edit.value, site.path), { aliasDuplicateObjects: false });
    if (site.path.length === 0) doc.contents = node as typeof doc.contents;
    else doc.setIn(site.path, node);
  }
}

function writeYamlDocument(original: Document.Parsed, edit: DocumentEdit): string {
  let doc = original.clone();
  let fits = true;
  try {
    for (const site of edit.sites) addToYaml(doc, site.path, site.patch);
  } catch {
    fits = false;
  }
  // The patch is the engine's own description of the change, but anchors, merge keys or
  // odd layouts may defeat applying it to the tree: fall back to replacing the pods.
  if (!fits || !isDeepStrictEqual(doc.toJS(), edit.value)) {
    doc = original.clone();
    replaceInYaml(doc, edit);
    if (!isDeepStrictEqual(doc.toJS(), edit.value)) {
      doc = original.clone();
      doc.contents = doc.createNode(edit.value, { aliasDuplicateObjects: false }) as typeof doc.contents;
    }
  }
  // Document.clone() drops the `...` end marker, which belongs to this document's text.
  if (doc.directives && original.directives) doc.directives.docEnd = original.directives.docEnd;
  return doc.toString(WRITE_OPTIONS);
}

// --- JSON ------------------------------------------------------------------------------

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

function parseJsonStream(text: string, source: string): ParsedInput {
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

// --- Pods and pod templates ------------------------------------------------------------

interface PodHolder {
  /** API groups the kind is served from ('' = core). */
  groups: readonly string[];
  /** Path from the object to its pod (empty for a Pod). */
  template: readonly string[];
}

const POD_HOLDERS: Readonly<Record<string, PodHolder>> = {
  Pod: { groups: [''], template: [] },
  ReplicationController: { groups: [''], template: ['spec', 'template'] },
  Deployment: { groups: ['apps', 'extensions'], template: ['spec', 'template'] },
  ReplicaSet: { groups: ['apps', 'extensions'], template: ['spec', 'template'] },
  DaemonSet: { groups: ['apps', 'extensions'], template: ['spec', 'template'] },
  StatefulSet: { groups: ['apps'], template: ['spec', 'template'] },
  Job: { groups: ['batch'], template: ['spec', 'template'] },
  CronJob: { groups: ['batch'], template: ['spec', 'jobTemplate', 'spec', 'template'] },
};

/** Kinds whose pod (template) is injected; every other kind passes through. */
export const POD_KINDS: readonly string[] = Object.keys(POD_HOLDERS);

/** A pod, or a workload's pod template, found in the input. */
export interface PodSite {
  source: string;
  document: number;
  /** From the document root to the object holding the pod (empty, or a List item). */
  objectPath: PathSegment[];
  /** From the document root to the pod or template itself. */
  path: PathSegment[];
  object: { apiVersion?: string; kind: string; name: string; namespace: string };
  /** The pod, or the template (metadata + spec), as in the input. */
  pod: Pod;
}

export function pointerOf(path: readonly PathSegment[]): string {
  return path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** `deploy.yaml: document 2 (Deployment/web)`, for messages about one pod. */
export function describeSite(site: PodSite): string {
  return describeWhere({
    source: site.source, document: site.document, pointer: pointerOf(site.objectPath),
    object: `${site.object.kind}/${site.object.name}`,
  });
}

function groupOf(apiVersion: unknown): string | undefined {
  if (typeof apiVersion !== 'string') return undefined;
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

function nameOf(meta: Record<string, unknown>): string {
  if (typeof meta.name === 'string' && meta.name !== '') return meta.name;
  if (typeof meta.generateName === 'string' && meta.generateName !== '') return `${meta.generateName}*`;
  return '(unnamed)';
}

// Manifests are a few dozen levels deep at most. Far deeper input (JSON.parse takes any
// depth) would overflow the stack in the recursive steps after this one: walking nested
// Lists, copying the document (structuredClone), writing it back (JSON.stringify, YAML).
const MAX_NESTING = 1000;

/** Whether `value` has objects or arrays nested more than `max` levels; without recursion. */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * The pods and pod templates of one document, in order (Lists are walked). The pod's
 * namespace is its object's metadata.namespace, else "default". Throws InputError for a
 * document that is not a Kubernetes object, a workload without a pod template, or a
 * document nested more than MAX_NESTING levels deep.
 */
export function locatePods(document: SourceDocument, source: string): PodSite[] {
  if (nestedDeeperThan(document.value, MAX_NESTING)) {
    throw new InputError({ source, document: document.index }, `the document is nested more than ${MAX_NESTING} levels deep`);
  }
  const sites: PodSite[] = [];
  const visit = (value: unknown, path: PathSegment[]): void => {
    const where: Where = { source, document: document.index, pointer: pointerOf(path) };
    if (value === null && path.length === 0) return; // an empty document
    if (!isPlainObject(value)) {
      throw new InputError(where, `expected a Kubernetes object (a mapping with apiVersion and kind), got ${describeType(value)}`);
    }
    const kind = value.kind;
    if (typeof kind !== 'string' || kind === '') {
      throw new InputError(where, 'field kind: missing; every object needs apiVersion and kind (e.g. apiVersion: apps/v1, kind: Deployment)');
    }
    if (kind === 'List' || (kind.endsWith('List') && Array.isArray(value.items))) {
      if (!Array.isArray(value.items)) throw new InputError(where, `field items: expected a list of objects in this ${kind}`);
      value.items.forEach((item, i) => visit(item, [...path, 'items', i]));
      return;
    }
    const holder = Object.hasOwn(POD_HOLDERS, kind) ? POD_HOLDERS[kind] : undefined;
    const group = groupOf(value.apiVersion);
    if (!holder || (group !== undefined && !holder.groups.includes(group))) return;
    const meta = isPlainObject(value.metadata) ? value.metadata : {};
    const name = nameOf(meta);
    const pod = valueAt(value, [...holder.template]);
    if (!isPlainObject(pod)) {
      throw new InputError({ ...where, object: `${kind}/${name}` },
        `field ${holder.template.join('.')}: expected a pod template (a mapping with metadata and spec), got ${describeType(pod ?? null)}`);
    }
    sites.push({
      source, document: document.index, objectPath: path, path: [...path, ...holder.template],
      object: {
        ...(typeof value.apiVersion === 'string' ? { apiVersion: value.apiVersion } : {}),
        kind, name,
        namespace: typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default',
      },
      pod: pod as Pod,
    });
  };
  visit(document.value, []);
  return sites;
}
