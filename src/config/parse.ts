// Reads the YAML files of one configuration version within bounds, so a hostile or
// broken version costs a bounded amount of work wherever it is parsed: sizes and nesting
// are checked on the text before the YAML library sees it (its cost grows much faster
// than the text, and very deep nesting aborts the process in V8's regular-expression
// compiler); keys, nodes and aliases are checked on the syntax tree. Duplicate keys are
// found here with a Set: the library's own check compares every pair (27 s for a
// mapping of 40,000 keys).
import { Buffer } from 'node:buffer';
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { flowDepth, yamlShape } from '../injection/yaml-shape.js';

/** Bounds on one configuration version (see README "Configuration limits"). */
export interface ConfigLimits {
  /** Bytes of one file (config.yaml or a template). */
  maxFileBytes: number;
  /** Bytes of all the files together (a ConfigMap holds at most 1 MiB). */
  maxTotalBytes: number;
  /** Flow nesting depth (`[`, `{`) of one file. */
  maxFlowDepth: number;
  /** Columns of indentation and block indicators opening a line (block nesting depth). */
  maxIndent: number;
  /** YAML nodes (mappings, lists, scalars) in one file. */
  maxNodes: number;
  /** Keys of one mapping. */
  maxKeys: number;
  /** Aliases (`*name`) in one file: each copies its anchor when read (billion laughs). */
  maxAliases: number;
}

export const CONFIG_LIMITS: Readonly<ConfigLimits> = Object.freeze({
  maxFileBytes: 512 * 1024,
  maxTotalBytes: 1024 * 1024,
  maxFlowDepth: 64,
  maxIndent: 256,
  maxNodes: 50_000,
  maxKeys: 1_000,
  maxAliases: 100,
});

/** A configuration that cannot be used: names the file and field at fault. */
export class ConfigError extends Error {
  /** The message without the file and field. */
  readonly bare: string;
  constructor(message: string, readonly file?: string, readonly field?: string) {
    super([file, field].filter(Boolean).join(': ') + (file || field ? ': ' : '') + message);
    this.name = 'ConfigError';
    this.bare = message;
  }
}

/** Throws ConfigError when a file, or all of them, are over the byte limits. */
export function checkSizes(files: Readonly<Record<string, string>>, names: string[], limits: ConfigLimits = CONFIG_LIMITS): void {
  let total = 0;
  for (const file of names) {
    const bytes = Buffer.byteLength(files[file], 'utf8');
    if (bytes > limits.maxFileBytes) throw new ConfigError(`${bytes} bytes; at most ${limits.maxFileBytes} bytes per file are accepted`, file);
    total += bytes;
  }
  if (total > limits.maxTotalBytes) {
    throw new ConfigError(`the configuration is ${total} bytes in all; at most ${limits.maxTotalBytes} are accepted`, names.length === 1 ? names[0] : undefined);
  }
}

function fieldPath(path: string, key: unknown): string {
  const name = String(key);
  return path ? `${path}.${name}` : name;
}

/** Walks the tree once: counts nodes and aliases, checks keys per mapping and duplicates. */
function checkTree(file: string, root: Node | null, limits: ConfigLimits): void {
  let nodes = 0;
  let aliases = 0;
  const visit = (node: unknown, path: string): void => {
    if (++nodes > limits.maxNodes) throw new ConfigError(`more than ${limits.maxNodes} YAML nodes in the file; that many are accepted`, file, path || undefined);
    if (isAlias(node)) {
      if (++aliases > limits.maxAliases) {
        throw new ConfigError(`more than ${limits.maxAliases} aliases (*name) in the file; each copies its anchor when read, so at most ${limits.maxAliases} are accepted`, file, path || '(top level)');
      }
    } else if (isMap(node)) {
      if (node.items.length > limits.maxKeys) {
        throw new ConfigError(`a mapping with ${node.items.length} keys; at most ${limits.maxKeys} per mapping or list are accepted`, file, path || '(top level)');
      }
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) throw new ConfigError(`duplicate key ${JSON.stringify(String(key))}`, file, path || '(top level)');
        seen.add(key);
        visit(pair.value, fieldPath(path, key));
      }
    } else if (isSeq(node)) {
      if (node.items.length > limits.maxKeys) {
        throw new ConfigError(`a list with ${node.items.length} entries; at most ${limits.maxKeys} per mapping or list are accepted`, file, path || '(top level)');
      }
      node.items.forEach((item, i) => visit(item, `${path}[${i}]`));
    }
  };
  visit(root, '');
}

const BLOCK_KEY = /^( *)(?:- +)?([^\s#'"\[{][^:#]*|"[^"]*"|'[^']*'):(?: |$)/;
const BLOCK_ITEM = /^( *)- /;

/**
 * Counts the entries of block mappings and lists line by line, before parsing, so a
 * mapping of 40,000 keys is refused at once and with its field named (the YAML library
 * takes seconds just to read it). Lines that only look like keys (inside a block scalar)
 * count too: over-counting is the safe side, and 1,000 such lines in one scalar are rare.
 */
function checkBlockEntries(file: string, text: string, limits: ConfigLimits): void {
  const open: Array<{ indent: number; path: string; entries: number }> = [{ indent: -1, path: '', entries: 0 }];
  for (const line of text.split('\n')) {
    const key = BLOCK_KEY.exec(line);
    const item = key ? undefined : BLOCK_ITEM.exec(line);
    if (!key && !item) continue;
    const indent = (key ?? item)![1].length;
    while (open.length > 1 && open[open.length - 1].indent >= indent) open.pop();
    const parent = open[open.length - 1];
    if (++parent.entries > limits.maxKeys) {
      throw new ConfigError(`a mapping or list with more than ${limits.maxKeys} entries; at most ${limits.maxKeys} per mapping or list are accepted`, file, parent.path || '(top level)');
    }
    if (key) open.push({ indent, path: fieldPath(parent.path, key[2].trim().replace(/^["']|["']$/g, '')), entries: 0 });
  }
}

/**
 * Parses one file of the configuration within `limits`. Throws ConfigError naming the
 * file (and the field, where the problem has one).
 */
export function parseConfigYaml(file: string, text: string, limits: ConfigLimits = CONFIG_LIMITS): unknown {
  const depth = flowDepth(text);
  if (depth > limits.maxFlowDepth) throw new ConfigError(`'[' and '{' nested ${depth} deep; at most ${limits.maxFlowDepth} levels are accepted`, file);
  const shape = yamlShape(text);
  if (shape.indent > limits.maxIndent) throw new ConfigError(`a line is indented or nested ${shape.indent} columns deep; at most ${limits.maxIndent} are accepted`, file);
  // Every node needs a line break, comma or opener of its own but the first few on a
  // line: a file far over the node limit is refused before parsing.
  if (shape.entries > 2 * limits.maxNodes) throw new ConfigError(`${shape.entries} lines and flow entries; at most ${limits.maxNodes} YAML nodes are accepted`, file);
  checkBlockEntries(file, text, limits);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length > 0) throw new ConfigError(`invalid YAML: ${doc.errors[0].message}`, file);
  checkTree(file, doc.contents, limits);
  try {
    return doc.toJS({ maxAliasCount: limits.maxAliases });
  } catch (err) {
    // The library's alias-expansion guard: its error names no place, the first alias is it.
    throw new ConfigError(`${(err as Error).message}; aliases may expand to at most ${limits.maxAliases} copies`, file, firstAliasPath(doc.contents) ?? '(top level)');
  }
}

function firstAliasPath(root: unknown): string | undefined {
  const find = (node: unknown, path: string): string | undefined => {
    if (isAlias(node)) return path || '(top level)';
    if (isMap(node)) {
      for (const pair of node.items) {
        const found = find(pair.value, fieldPath(path, isScalar(pair.key) ? pair.key.value : pair.key));
        if (found) return found;
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const found = find(node.items[i], `${path}[${i}]`);
        if (found) return found;
      }
    }
    return undefined;
  };
  return find(root, '');
}
