// The parts of json-e (4.8, CommonJS, no package "exports") the template compiler reuses, so
// the compiled form parses, fails and computes with json-e's own code: its expression parser
// and tokenizer, its interpreter (for the rare expression nodes not compiled), its error
// classes, builtins, `fromNow` and the stringify behind `$json`. Loaded through
// `require` from json-e's own folder, so `$json` uses exactly the module json-e uses.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const fromJsone = createRequire(require.resolve('json-e'));

/** A node of json-e's expression AST (json-e/src/AST.js). */
export interface AstNode {
  constructorName: 'ASTNode' | 'BinOp' | 'UnaryOp' | 'FunctionCall' | 'ContextValue' | 'List' | 'ValueAccess' | 'Object';
  token: { kind: string; value: string; start: number; end: number };
  left?: AstNode; right?: AstNode; expr?: AstNode; name?: AstNode; args?: AstNode[]; list?: AstNode[];
  arr?: AstNode; isInterval?: boolean; obj?: Record<string, AstNode>;
}

interface ParserInstance { parse(): AstNode | undefined; current_token: AstNode['token'] | null }
type ErrorClass = new (message: string) => Error & { add_location(loc: string): void };
export type Context = Record<string, unknown>;

const { Parser } = fromJsone('./parser.js') as { Parser: new (tokenizer: unknown, source: string) => ParserInstance };
const Tokenizer = fromJsone('./tokenizer.js') as new (options: object) => unknown;
export const { Interpreter } = fromJsone('./interpreter.js') as {
  Interpreter: { prototype: Record<string, (this: unknown, node: AstNode) => unknown> } & (new (context: Context) => { visit(node: AstNode | undefined): unknown });
};
export const { JSONTemplateError, SyntaxError: JsoneSyntaxError, InterpreterError, TemplateError } = fromJsone('./error.js') as Record<
  'JSONTemplateError' | 'SyntaxError' | 'InterpreterError' | 'TemplateError', ErrorClass>;
export const addBuiltins = fromJsone('./builtins.js') as (context: Context) => Context;
export const fromNow = fromJsone('./from-now.js') as (timespan: string, reference?: unknown) => string;
export const typeUtils = fromJsone('./type-utils.js') as {
  hasOwn(object: object, key: string): boolean;
  setProp(object: object, key: string, value: unknown): object;
  isArray(value: unknown): value is unknown[];
  isObject(value: unknown): value is Record<string, unknown>;
  isFunction(value: unknown): value is (...args: unknown[]) => unknown;
  isTruthy(value: unknown): boolean;
};
export const stableStringify = fromJsone('json-stable-stringify-without-jsonify') as (value: unknown) => string;

// json-e's tokenizer options (index.js builds its own instance with these; not exported).
const tokenizer = new Tokenizer({
  ignore: '\\s+',
  patterns: {
    number: '[0-9]+(?:\\.[0-9]+)?',
    identifier: '[a-zA-Z_][a-zA-Z_0-9]*',
    string: '\'[^\']*\'|"[^"]*"',
    true: 'true(?![a-zA-Z_0-9])',
    false: 'false(?![a-zA-Z_0-9])',
    in: 'in(?![a-zA-Z_0-9])',
    null: 'null(?![a-zA-Z_0-9])',
  },
  tokens: [
    '**', ...'+-*/[].(){}:,'.split(''),
    '>=', '<=', '<', '>', '==', '!=', '!', '&&', '||',
    'true', 'false', 'in', 'null', 'number', 'identifier', 'string',
  ],
});

function syntaxRuleError(token: { value: string }): Error {
  return new JsoneSyntaxError(`Found: ${token.value} token, expected one of: !=, &&, (, *, **, +, -, ., /, <, <=, ==, >, >=, [, in, ||`);
}

/** The tree of a whole expression (`$eval`, `$if`, ...), or json-e's error for it. */
export function parseExpression(source: string): AstNode | undefined {
  const parser = new Parser(tokenizer, source);
  const tree = parser.parse();
  if (parser.current_token != null) throw syntaxRuleError(parser.current_token);
  return tree;
}

/**
 * The tree of the expression that starts `source` (after a `${`) and ends at its `}`, and
 * where the rest of the text starts (json-e's parseUntilTerminator, without evaluating).
 */
export function parseInterpolation(source: string): { tree: AstNode | undefined; offset: number } {
  const parser = new Parser(tokenizer, source);
  const tree = parser.parse();
  const next = parser.current_token;
  if (!next) {
    const at = source.length;
    throw new (JsoneSyntaxError as unknown as new (m: string, l: object) => Error)('unterminated ${..} expression', { start: at, end: at });
  }
  if (next.kind !== '}') throw syntaxRuleError(next);
  return { tree, offset: next.start + 2 };
}
