// A stream of YAML documents, read as kubectl reads manifests and written back with some
// documents changed. Unchanged documents are written back byte for byte (taken from the
// parser's concrete syntax tree), so skipped objects, comments and separators survive and
// running `inject` on its own output changes nothing. A changed document gets the engine's
// `add` operations applied to its syntax tree, which keeps the comments and layout of the rest.
import { isDeepStrictEqual } from 'node:util';
import {
  Composer, CST, LineCounter, Parser, isMap, isSeq,
  type Document, type DocumentOptions, type ParseOptions, type SchemaOptions, type ToStringOptions,
} from 'yaml';
import type { PatchOperation } from '../../injection/types.js';
import { valueAt, type DocumentEdit, type ParsedInput, type SourceDocument } from './stream.js';
import { InputError, unescapePointer, type PathSegment } from './where.js';

// YAML 1.1, as kubectl reads manifests: `on`, `yes` and `off` are booleans there, so the
// writer must quote such strings (an Envoy `--log-level off` would otherwise turn into false).
// Like kubectl's YAML decoder, timestamps (2024-01-31) and base-60 numbers (12:30) stay strings.
const YAML_OPTIONS: DocumentOptions & SchemaOptions & ParseOptions = {
  version: '1.1',
  uniqueKeys: true,
  customTags: (tags) => tags.filter((tag) => !(typeof tag === 'object' && (tag.tag === 'tag:yaml.org,2002:timestamp' || tag.format === 'TIME'))),
};
const WRITE_OPTIONS: ToStringOptions = { lineWidth: 0, flowCollectionPadding: false };

export function parseYamlStream(text: string, source: string): ParsedInput {
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
