// JSON-e expressions (`$eval`, `$if`, `${...}`, ...) compiled once into closures. json-e
// tokenizes, parses and walks each expression string on every render; here the string is
// parsed once by json-e's own parser, and the tree becomes a closure over the render
// context. The nodes templates use most (names, `.`, `&&`, `||`, `!`, `==`, `in`, calls) are
// written out; every other node, and every uncommon case of these, runs json-e's own
// interpreter method on the node, so results and error messages are json-e's by construction.
import {
  Interpreter, InterpreterError, parseExpression, typeUtils, type AstNode,
} from './jsone-internals.js';
import { builtinContext, MISSING, scopeValue, type Scope } from './template-scope.js';

/** A compiled expression: its value in a render context (a scope, template-scope.ts). */
export type Evaluator = (context: Scope) => unknown;

const { hasOwn, isFunction, isObject, isTruthy } = typeUtils;
const propertyIsEnumerable = Object.prototype.propertyIsEnumerable;

/** Whether json-e's isEqual is plain `===` for this left operand (not an array, object or function). */
function isScalar(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
}

/**
 * Runs json-e's interpreter method for `node`, its children being the compiled closures:
 * json-e visits them lazily, in its own order, with its own short-circuits.
 */
function delegated(node: AstNode): Evaluator {
  const children = new Map<AstNode | undefined, Evaluator>();
  for (const child of [node.left, node.right, node.expr, node.name, node.arr, ...(node.args ?? []), ...(node.list ?? []), ...Object.values(node.obj ?? {})]) {
    if (!children.has(child)) children.set(child, compileNode(child));
  }
  const visit = Interpreter.prototype[`visit_${node.constructorName}`];
  return (context) => visit.call({ context, visit: (child: AstNode | undefined) => children.get(child)!(context) }, node);
}

/** The operands' values, as json-e's visit_BinOp would have read them, for its own code. */
function binOpWith(node: AstNode, left: unknown, right: unknown): unknown {
  return Interpreter.prototype.visit_BinOp.call({ visit: (child: AstNode) => (child === node.left ? left : right) }, node);
}

function compileBinOp(node: AstNode): Evaluator {
  const left = compileNode(node.left);
  const kind = node.token.kind;
  if (kind === '.' && node.right?.constructorName === 'ASTNode') {
    const key = new Interpreter({}).visit(node.right) as string;
    return (context) => {
      const object = left(context);
      if (isObject(object) && hasOwn(object, key)) return object[key];
      return binOpWith(node, object, key);
    };
  }
  const right = compileNode(node.right);
  switch (kind) {
    case '||': return (context) => isTruthy(left(context)) || isTruthy(right(context));
    case '&&': return (context) => isTruthy(left(context)) && isTruthy(right(context));
    case '==': return (context) => {
      const a = left(context);
      const b = right(context);
      return isScalar(a) ? a === b : binOpWith(node, a, b);
    };
    case '!=': return (context) => {
      const a = left(context);
      const b = right(context);
      return isScalar(a) ? a !== b : binOpWith(node, a, b);
    };
    case 'in': return (context) => {
      const a = left(context);
      const b = right(context);
      // For a string key, json-e's `Object.keys(b).some(k => k === a)`.
      if (typeof a === 'string' && isObject(b)) return propertyIsEnumerable.call(b, a);
      if (typeof a === 'string' && typeof b === 'string') return b.indexOf(a) !== -1;
      return binOpWith(node, a, b);
    };
    default: return delegated(node);
  }
}

function compileCall(node: AstNode): Evaluator {
  const callee = compileNode(node.name);
  const args = (node.args ?? []).map(compileNode);
  return (context) => {
    const fn = callee(context);
    if (!isFunction(fn)) throw new InterpreterError(`${fn} is not callable`);
    const values = args.map((arg) => arg(context));
    // json-e's builtins take the render context first (`defined`, `fromNow`).
    if (hasOwn(fn, 'jsone_builtin')) values.unshift(builtinContext(fn, context, values));
    return fn.apply(null, values);
  };
}

function compileNode(node: AstNode | undefined): Evaluator {
  switch (node?.constructorName) {
    case 'ASTNode': {
      // Literals: json-e's own conversion, once.
      const value = new Interpreter({}).visit(node);
      return () => value;
    }
    case 'ContextValue': {
      const name = node.token.value;
      return (context) => {
        const value = scopeValue(context, name);
        if (value === MISSING) throw new InterpreterError(`unknown context value ${name}`);
        return value;
      };
    }
    case 'BinOp': return compileBinOp(node);
    case 'UnaryOp': {
      if (node.token.kind !== '!') return delegated(node);
      const operand = compileNode(node.expr);
      return (context) => !isTruthy(operand(context));
    }
    case 'FunctionCall': return compileCall(node);
    // A missing node (`[1,]`) fails in json-e's interpreter when reached: so it does here.
    case undefined: return () => new Interpreter({}).visit(undefined);
    default: return delegated(node!);
  }
}

/** Compiles an expression with json-e's parser. */
export function compileTree(tree: AstNode | undefined): Evaluator {
  return compileNode(tree);
}

/**
 * Compiles one expression string. An expression json-e cannot parse fails when the
 * render reaches it, as in json-e (an untaken branch never fails), by parsing it again.
 */
export function compileExpression(source: unknown): Evaluator {
  let tree: AstNode | undefined;
  try {
    tree = parseExpression(source as string);
  } catch {
    return () => parseExpression(source as string);
  }
  return compileNode(tree);
}
