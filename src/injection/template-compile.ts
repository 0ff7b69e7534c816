// JSON-e templates compiled once per config version into a tree of closures. json-e's
// render walks the template on every call: for each object it looks for its 16 operators,
// tests every key against two patterns, searches every string for `${`, and parses each
// expression again. The compiled form does all of that once; a render only evaluates.
// Semantics are json-e 4.8's render (node_modules/json-e/src/index.js), step for step:
// the same checks in the same order, the same messages, errors located as json-e locates
// them. test/golden/template-parity.test.ts and test/injection/template-compile.test.ts run
// both over every golden, profile, corpus and property-test input.
import jsone from 'json-e';
import { compileTree, type Evaluator } from './template-expr.js';
import { JSONTemplateError, parseInterpolation, TemplateError, typeUtils } from './jsone-internals.js';
import { builtinScope, childScope, type Scope } from './template-scope.js';
import { compileOperator, containsFunctions, DELETE, OPERATORS, type Node } from './template-operators.js';
import type { Template } from './types.js';

const { hasOwn, isArray, isObject, setProp } = typeUtils;
const INTERPOLATION = /\$?\${/;
const PLAIN_KEY = /^[a-zA-Z][a-zA-Z0-9]*$/;
const RESERVED_KEY = /^\$[a-zA-Z][a-zA-Z0-9]*$/;
const CONTEXT_KEY = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Sets `key` as json-e's setProp does; plain assignment is the same but for `__proto__`. */
export function assign(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') setProp(object, key, value);
  else object[key] = value;
}

type Part = string | { value: Evaluator; input: string };

/**
 * A string with `${...}` (and `$${` escapes): literal parts and expressions, found as json-e's
 * interpolate finds them. Text json-e cannot parse ends the parts with an expression that
 * fails as json-e fails there, after the expressions before it were evaluated.
 */
function interpolationParts(text: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  let remaining = text;
  let offset: number;
  while ((offset = remaining.search(INTERPOLATION)) !== -1) {
    literal += remaining.slice(0, offset);
    if (remaining[offset + 1] === '$') {
      literal += '${';
      remaining = remaining.slice(offset + 3);
      continue;
    }
    const source = remaining.slice(offset + 2);
    let parsed: ReturnType<typeof parseInterpolation>;
    try {
      parsed = parseInterpolation(source);
    } catch {
      parts.push(literal, { value: () => parseInterpolation(source), input: '' });
      return parts;
    }
    parts.push(literal, { value: compileTree(parsed.tree), input: remaining.slice(offset + 2, offset + parsed.offset) });
    literal = '';
    remaining = remaining.slice(offset + parsed.offset + 1);
  }
  parts.push(literal + remaining);
  return parts.filter((part) => part !== '');
}

function compileString(text: string): Node {
  if (!INTERPOLATION.test(text)) return () => text;
  const parts = interpolationParts(text);
  return (context) => {
    let result = '';
    for (const part of parts) {
      if (typeof part === 'string') {
        result += part;
        continue;
      }
      const value = part.value(context);
      if (isArray(value) || isObject(value)) throw new TemplateError(`interpolation of '${part.input}' produced an array or object`);
      result += value === null ? '' : (value as { toString(): string }).toString();
    }
    return result;
  };
}

/** No operator, no `$` key, no `${`, JSON only: the same value on every render. */
function isConstant(template: unknown): boolean {
  switch (typeof template) {
    case 'string': return !INTERPOLATION.test(template);
    case 'number': return Number.isFinite(template) && !Object.is(template, -0);
    case 'boolean': return true;
    case 'object': {
      if (template === null) return true;
      const proto = Object.getPrototypeOf(template);
      if (Array.isArray(template)) return proto === Array.prototype && template.every(isConstant);
      if (proto !== Object.prototype && proto !== null) return false;
      return Object.entries(template).every(([key, value]) => !key.includes('$') && isConstant(value));
    }
    default: return false;
  }
}

/**
 * A constant's fresh copy, built by closures that hold its keys and primitives (read once,
 * here): five times faster than JSON.parse of its text, which the Envoy bootstraps' many
 * small constants paid on every render cache miss.
 */
function constantCopier(constant: unknown): () => unknown {
  if (typeof constant !== 'object' || constant === null) return () => constant;
  if (Array.isArray(constant)) {
    // A hole (never in YAML; possible in a template built in code) is JSON's null.
    const items = Array.from(constant, (item: unknown) => constantCopier(item === undefined ? null : item));
    return () => {
      const copy: unknown[] = [];
      for (const item of items) copy.push(item());
      return copy;
    };
  }
  const keys = Object.keys(constant);
  const values = keys.map((key) => constantCopier((constant as Record<string, unknown>)[key]));
  return () => {
    const copy: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) assign(copy, keys[i], values[i]());
    return copy;
  };
}

/** Where json-e says an error in the value of `key` is (`.name` or `["a-b"]`). */
function locationOf(key: string): string {
  return PLAIN_KEY.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function located(err: unknown, location: string): unknown {
  if (err instanceof JSONTemplateError) err.add_location(location);
  return err;
}

function compileArray(template: unknown[]): Node {
  const items = template.map((item) => compile(item));
  return (context) => {
    const result: unknown[] = [];
    for (let i = 0; i < items.length; i++) {
      let value: unknown;
      try {
        value = items[i](context);
      } catch (err) {
        throw located(err, `[${i}]`);
      }
      if (value !== DELETE) result.push(value);
    }
    return result;
  };
}

interface Entry { value: Node; location: string; key: Node }

function compileObject(template: Record<string, unknown>): Node {
  const entries: Entry[] = Object.keys(template).map((key) => {
    let keyNode: Node;
    if (key.startsWith('$$')) {
      const unescaped = key.substr(1);
      keyNode = () => unescaped;
    } else if (RESERVED_KEY.test(key)) {
      keyNode = () => { throw new TemplateError('$<identifier> is reserved; use $$<identifier>'); };
    } else keyNode = compileString(key);
    return { value: compile(template[key]), location: locationOf(key), key: keyNode };
  });
  return (context) => {
    const result: Record<string, unknown> = {};
    for (const entry of entries) {
      let value: unknown;
      try {
        value = entry.value(context);
      } catch (err) {
        throw located(err, entry.location);
      }
      // A key is interpolated after its value, and only when the value is kept.
      if (value !== DELETE) assign(result, entry.key(context) as string, value);
    }
    return result;
  };
}

/** Compiles a template (or part of one): a closure from the render context to its value, or DELETE. */
export function compile(template: unknown): Node {
  if (template === null || typeof template === 'number' || typeof template === 'boolean') return () => template;
  if (typeof template === 'string') return compileString(template);
  // A fresh copy each render, as json-e builds one: callers may change what they get.
  if (isConstant(template)) return constantCopier(template);
  if (isArray(template)) return compileArray(template);
  // json-e treats everything else as an object; undefined fails on its operator lookup.
  if (template === undefined) return () => hasOwn(template as unknown as object, '$eval');
  const operators = OPERATORS.filter((name) => hasOwn(template as object, name));
  if (operators.length > 1) return () => { throw new TemplateError('only one operator allowed'); };
  if (operators.length === 1) return compileOperator(operators[0], template as Record<string, unknown>, compile);
  return compileObject(template as Record<string, unknown>);
}

/** A compiled template's render: what `jsone(source, context)` returns, or its error. */
export type CompiledTemplate = (context: Record<string, unknown>) => unknown;

/** Whether any string of the template, key or value, contains `pattern`. */
function mentions(template: unknown, pattern: RegExp): boolean {
  if (typeof template === 'string') return pattern.test(template);
  if (typeof template !== 'object' || template === null) return false;
  return Object.keys(template).some((key) => pattern.test(key) || mentions((template as Record<string, unknown>)[key], pattern));
}

/**
 * json-e adds its builtins and `now` (the clock) to the context of every render. A template
 * can only reach a context value by naming it in one of its strings: one that never names
 * `now` (nor `fromNow`, nor `$fromNow`) cannot see the clock, and one that never names
 * `range` cannot see the only builtin whose checks change after a call (json-e keeps
 * `range`'s argument types between the calls of one render). Such a template shares one
 * set of builtins across renders; the others get fresh ones, as in json-e.
 */
function renderBase(source: unknown): () => Scope {
  // The names as json-e's tokenizer could read them (a letter or `_` before would make another name).
  if (mentions(source, /(?<![A-Za-z_])(now|fromNow|range)/)) return builtinScope;
  const shared = builtinScope();
  return () => shared;
}

/** Compiles a whole template; rendering it is json-e's render of `source` (its module's default export). */
export function compileTemplate(source: unknown): CompiledTemplate {
  let root: Node;
  try {
    root = compile(source);
  } catch {
    // Nothing in a template should make compiling fail; if something does, json-e renders it.
    return (context) => jsone(source as object, context);
  }
  const base = renderBase(source);
  return (context) => {
    if (!isObject(context)) throw new TemplateError('context must be an object');
    if (!Object.keys(context).every((key) => CONTEXT_KEY.test(key))) {
      throw new TemplateError('top level keys of context must follow /[a-zA-Z_][a-zA-Z0-9_]*/');
    }
    // As json-e's addBuiltins(mergeContext({ now }, context)): the context's own names win.
    const result = root(childScope(base(), context));
    if (result === DELETE) return null;
    if (containsFunctions(result)) throw new TemplateError('evaluated template contained uncalled functions');
    return result;
  };
}

const compiledByTemplate = new WeakMap<Template, CompiledTemplate>();

/** The compiled form of a config version's template, compiled on first use and kept with it. */
export function compiledTemplate(template: Template): CompiledTemplate {
  let compiled = compiledByTemplate.get(template);
  if (compiled === undefined) {
    compiled = compileTemplate(template.source);
    compiledByTemplate.set(template, compiled);
  }
  return compiled;
}
