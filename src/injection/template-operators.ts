// JSON-e's operators, compiled (see template-compile.ts). Each mirrors json-e 4.8's operator
// in node_modules/json-e/src/index.js: what depends only on the template (its keys, the
// `each(...)` names, a literal that must be a string) is decided once; an error json-e
// raises for the template's shape is raised when the render reaches it, after the same
// rendering json-e does before it.
import { compileExpression } from './template-expr.js';
import { fromNow, TemplateError, typeUtils } from './jsone-internals.js';
import { stableStringify } from './stable-json.js';
import { childScope, MISSING, scopeValue, type Scope } from './template-scope.js';

/** A compiled template node: its value in a render context, or DELETE (json-e's deleteMarker). */
export type Node = (context: Scope) => unknown;
type Compile = (template: unknown) => Node;
type Template = Record<string, unknown>;

/** What json-e's `$if` without a branch (and others) leave: an empty object json-e drops from lists and mappings. */
export const DELETE: Record<string, never> = {};

/** json-e's operators, in its order (which matters only for which one an error names). */
export const OPERATORS = [
  '$eval', '$flatten', '$flattenDeep', '$fromNow', '$if', '$json', '$let', '$map', '$reduce', '$find',
  '$match', '$switch', '$merge', '$mergeDeep', '$reverse', '$sort',
] as const;

const { hasOwn, isArray, isObject, isTruthy, setProp } = typeUtils;
const EACH = '\\(([a-zA-Z_][a-zA-Z0-9_]*)(,\\s*([a-zA-Z_][a-zA-Z0-9_]*))?\\)';
const EACH_RE = new RegExp(`^each${EACH}$`);
const REDUCE_EACH = 'each\\(([a-zA-Z_][a-zA-Z0-9_]*),\\s*([a-zA-Z_][a-zA-Z0-9_]*)(,\\s*([a-zA-Z_][a-zA-Z0-9_]*))?\\)';
const LET_KEY = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const fail = (message: string): Node => () => { throw new TemplateError(message); };

/** json-e's checkUndefinedProperties: the message for keys no allowed pattern matches, or undefined. */
function undefinedProperties(template: Template, allowed: string[]): string | undefined {
  const combined = new RegExp(`${allowed.join('|')}$`);
  const unknown = Object.keys(template).sort().filter((key) => !combined.test(key));
  return unknown.length ? `${allowed[0].replace('\\', '')} has undefined properties: ${unknown.join(' ')}` : undefined;
}

function mergeObjects(sources: unknown[]): Template {
  const result: Template = {};
  for (const source of sources) {
    for (const key of Object.keys(source as object)) setProp(result, key, (source as Template)[key]);
  }
  return result;
}

const flattenDeep = (a: unknown): unknown => (Array.isArray(a) ? ([] as unknown[]).concat(...a.map(flattenDeep)) : a);

/** json-e's check that no function is left uncalled in a result (of `$json`, of the whole render). */
export function containsFunctions(value: unknown): boolean {
  if (value instanceof Function) return true;
  if (typeof value !== 'object' || value === null) return false;
  // Loops, not some() with a closure: this walks every rendered value once more.
  if (Array.isArray(value)) {
    for (const item of value) if (containsFunctions(item)) return true;
    return false;
  }
  for (const key of Object.keys(value)) if (containsFunctions((value as Template)[key])) return true;
  return false;
}

/** `each(x)` / `each(x, i)` bindings of `$map` and `$find`. */
function eachArgs(x: string, i: string | undefined, value: unknown, index: unknown): Template {
  return i !== undefined ? { [x]: value, [i]: index } : { [x]: value };
}

type Each = { x: string; i?: string; each: unknown; keyCount: number; match: boolean };
function eachOf(template: Template, operator: string): Each {
  const keys = Object.keys(template);
  const eachKey = keys.filter((k) => k !== operator)[0];
  const match = EACH_RE.exec(eachKey);
  return { x: match?.[1] ?? '', i: match?.[3], each: template[eachKey], keyCount: keys.length, match: match !== null };
}

type OperatorCompiler = (template: Template, compile: Compile) => Node;

const compilers: Record<(typeof OPERATORS)[number], OperatorCompiler> = {
  $eval: (t) => (typeof t.$eval === 'string' ? compileExpression(t.$eval) : fail('$eval must be given a string expression')),
  $flatten: (t, compile) => {
    const value = compile(t.$flatten);
    return (c) => {
      const v = value(c);
      if (!isArray(v)) throw new TemplateError('$flatten value must evaluate to an array');
      return v.reduce((a: unknown[], b) => a.concat(b), []);
    };
  },
  $flattenDeep: (t, compile) => {
    const value = compile(t.$flattenDeep);
    return (c) => {
      const v = value(c);
      if (!isArray(v)) throw new TemplateError('$flattenDeep value must evaluate to an array');
      return flattenDeep(v);
    };
  },
  $fromNow: (t, compile) => {
    const value = compile(t.$fromNow);
    const from = t.from ? compile(t.from) : undefined;
    return (c) => {
      const v = value(c);
      const now = scopeValue(c, 'now');
      const reference = from ? from(c) : now === MISSING ? undefined : now;
      if (typeof v !== 'string') throw new TemplateError('$fromNow expects a string');
      return fromNow(v, reference);
    };
  },
  $if: (t, compile) => {
    if (typeof t.$if !== 'string') return fail('$if can evaluate string expressions only');
    const condition = compileExpression(t.$if);
    const then = hasOwn(t, 'then') ? compile(t.then) : () => DELETE;
    const otherwise = hasOwn(t, 'else') ? compile(t.else) : () => DELETE;
    const misspelt = hasOwn(t, '$then');
    return (c) => {
      if (!isTruthy(condition(c))) return otherwise(c);
      if (misspelt) throw new TemplateError('$if Syntax error: $then: should be spelled then: (no $)');
      return then(c);
    };
  },
  $json: (t, compile) => {
    const value = compile(t.$json);
    return (c) => {
      const v = value(c);
      if (containsFunctions(v)) throw new TemplateError('evaluated template contained uncalled functions');
      return stableStringify(v);
    };
  },
  $let: (t, compile) => {
    if (!isObject(t.$let)) return fail('$let value must be an object');
    const bindings = compile(t.$let);
    const body = t.in == undefined ? fail('$let operator requires an `in` clause') : compile(t.in);
    return (c) => {
      const values = bindings(c);
      if (!isObject(values)) throw new TemplateError('$let value must be an object');
      const variables = Object.create(null) as Template;
      for (const key of Object.keys(values)) {
        if (!LET_KEY.test(key)) throw new TemplateError('top level keys of $let must follow /[a-zA-Z_][a-zA-Z0-9_]*/');
        variables[key] = values[key];
      }
      return body(childScope(c, variables));
    };
  },
  $map: (t, compile) => {
    const value = compile(t.$map);
    const { x, i, each, keyCount, match } = eachOf(t, '$map');
    const body = match ? compile(each) : fail('unreachable');
    return (c) => {
      const v = value(c);
      if (!isArray(v) && !isObject(v)) throw new TemplateError('$map value must evaluate to an array or object');
      if (keyCount !== 2) throw new TemplateError('$map must have exactly two properties');
      if (!match) throw new TemplateError('$map requires each(identifier) syntax');
      if (isArray(v)) return v.map((item, index) => body(childScope(c, eachArgs(x, i, item, index)))).filter((r) => r !== DELETE);
      const rendered = Object.keys(v).map((key) => {
        const r = body(childScope(c, i !== undefined ? { [x]: v[key], [i]: key } : { [x]: { key, val: v[key] } }));
        if (!isObject(r)) throw new TemplateError(`$map on objects expects each(${x}) to evaluate to an object`);
        return r;
      });
      return mergeObjects(rendered.filter((r) => r !== DELETE));
    };
  },
  $reduce: (t, compile) => {
    const value = compile(t.$reduce);
    const keys = Object.keys(t);
    const eachKey = keys.find((k) => k !== '$reduce' && k !== 'initial');
    const match = new RegExp(`^${REDUCE_EACH}$`).exec(eachKey as string);
    const body = match ? compile(t[eachKey!]) : fail('unreachable');
    const [a, x, i] = [match?.[1] ?? '', match?.[2] ?? '', match?.[4]];
    return (c) => {
      const v = value(c);
      if (!isArray(v)) throw new TemplateError('$reduce value must evaluate to an array');
      if (keys.length !== 3) throw new TemplateError('$reduce must have exactly three properties');
      if (!match) throw new TemplateError('$reduce requires each(identifier) syntax');
      return v.reduce((acc, item, index) => {
        const r = body(childScope(c, i !== undefined ? { [a]: acc, [x]: item, [i]: index } : { [a]: acc, [x]: item }));
        return r === DELETE ? acc : r;
      }, t.initial);
    };
  },
  $find: (t, compile) => {
    const value = compile(t.$find);
    const { x, i, each, keyCount, match } = eachOf(t, '$find');
    const condition = compileExpression(each);
    const result = compile(each);
    return (c) => {
      const v = value(c);
      if (!isArray(v)) throw new TemplateError('$find value must evaluate to an array');
      if (keyCount !== 2) throw new TemplateError('$find must have exactly two properties');
      if (!match) throw new TemplateError('$find requires each(identifier) syntax');
      if (typeof each !== 'string') throw new TemplateError('each can evaluate string expressions only');
      // As json-e: the item whose condition holds and whose text, interpolated, is not empty.
      const found = v.find((item, index) => {
        if (isTruthy(condition(childScope(c, eachArgs(x, i, item, index))))) return result(childScope(c, eachArgs(x, i, item, index)));
        return undefined;
      });
      return found !== undefined ? found : DELETE;
    };
  },
  $match: (t, compile) => {
    if (!isObject(t.$match)) return fail('$match can evaluate objects only');
    const conditions = t.$match;
    const cases = Object.keys(conditions).sort().map((k) => ({ when: compileExpression(k), value: compile(conditions[k]) }));
    return (c) => {
      const result: unknown[] = [];
      for (const k of cases) if (isTruthy(k.when(c))) result.push(k.value(c));
      return result;
    };
  },
  $switch: (t, compile) => {
    if (!isObject(t.$switch)) return fail('$switch can evaluate objects only');
    const conditions = t.$switch;
    const cases = Object.keys(conditions).filter((k) => k !== '$default').sort()
      .map((k) => ({ when: compileExpression(k), value: compile(conditions[k]) }));
    const fallback = hasOwn(conditions, '$default') ? compile(conditions.$default) : undefined;
    return (c) => {
      const result: unknown[] = [];
      for (const k of cases) if (isTruthy(k.when(c))) result.push(k.value(c));
      if (result.length > 1) throw new TemplateError('$switch can only have one truthy condition');
      if (result.length === 0 && fallback) result.push(fallback(c));
      return result.length > 0 ? result[0] : DELETE;
    };
  },
  $merge: (t, compile) => {
    const value = compile(t.$merge);
    return (c) => {
      const v = value(c);
      if (!isArray(v) || v.some((o) => !isObject(o))) throw new TemplateError('$merge value must evaluate to an array of objects');
      return mergeObjects(v);
    };
  },
  $mergeDeep: (t, compile) => {
    const value = compile(t.$mergeDeep);
    const merge = (l: unknown, r: unknown): unknown => {
      if (isArray(l) && isArray(r)) return l.concat(r);
      if (!isObject(l) || !isObject(r)) return r;
      const res = mergeObjects([l]);
      for (const p of Object.keys(r)) setProp(res, p, hasOwn(l, p) ? merge(l[p], r[p]) : r[p]);
      return res;
    };
    return (c) => {
      const v = value(c);
      if (!isArray(v) || v.some((o) => !isObject(o))) throw new TemplateError('$mergeDeep value must evaluate to an array of objects');
      if (v.length === 0) return {};
      return v.reduce(merge, v.shift());
    };
  },
  $reverse: (t, compile) => {
    const value = compile(t.$reverse);
    return (c) => {
      const v = value(c);
      if (!isArray(v)) throw new TemplateError('$reverse value must evaluate to an array of objects');
      return v.reverse();
    };
  },
  $sort: (t, compile) => sortOperator(t, compile),
};

/** json-e's `$sort`: by the value itself, or by `by(x)`'s expression; numbers or strings only. */
function sortOperator(t: Template, compile: Compile): Node {
  const value = compile(t.$sort);
  const byKey = Object.keys(t).filter((k) => k !== '$sort')[0];
  const match = /^by\(([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(byKey);
  const byExpression = match ? compileExpression(t[byKey]) : undefined;
  const sameType = '$sorted values to be sorted must have the same type';
  return (c) => {
    const v = value(c);
    if (!isArray(v)) throw new TemplateError(sameType);
    let by: (item: unknown) => unknown = (item) => item;
    if (byExpression) {
      const scope = childScope(c, Object.create(null) as Template);
      by = (item) => {
        scope.names[match![1]] = item;
        return byExpression(scope);
      };
    } else if (v.some((item) => isArray(item) || isObject(item))) throw new TemplateError(sameType);
    const tagged = v.map((item) => [by(item), item] as const);
    if (tagged.length > 0) {
      const type = typeof tagged[0][0];
      if ((type !== 'number' && type !== 'string') || tagged.some((e) => typeof e[0] !== type)) throw new TemplateError(sameType);
    }
    return tagged.sort(([a], [b]) => ((a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0)).map((e) => e[1]);
  };
}

/** Compiles the operator `name` of `template`, after json-e's check of the template's other keys. */
export function compileOperator(name: (typeof OPERATORS)[number], template: Template, compile: Compile): Node {
  const allowed: Record<string, string[]> = {
    $fromNow: ['\\$fromNow', 'from'], $if: ['\\$if', 'then', 'else'], $let: ['\\$let', 'in'],
    $map: ['\\$map', `each${EACH}`], $find: ['\\$find', `each${EACH}`], $reduce: ['\\$reduce', 'initial', REDUCE_EACH],
    $sort: ['\\$sort', 'by\\(([a-zA-Z_][a-zA-Z0-9_]*)\\)'],
  };
  const problem = undefinedProperties(template, allowed[name] ?? [`\\${name}`]);
  return problem ? fail(problem) : compilers[name](template, compile);
}
