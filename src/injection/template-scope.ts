// The render context of compiled templates: a chain of scopes instead of json-e's one flat
// object per scope. json-e copies the whole context (its ~20 builtins, `now`, the
// template's context and every enclosing `$let` name) for each `$let` and for each
// iteration of `$map`, `$find`, `$reduce` and `$sort`: most of a render of the istio
// template went to those copies. Here a scope holds its own names and a link to the
// enclosing scope, down to the builtins, and a name is looked up from the innermost scope
// out: the first scope that has it as an own property wins, as the last copy wins in
// json-e's flat context. (A chain of prototypes did the same, but each render made new
// prototype objects, which V8 sets up slowly: 12 µs against 0.4 for four scopes.)
import { addBuiltins, fromNow, typeUtils, type Context } from './jsone-internals.js';

const { hasOwn } = typeUtils;

/** One scope of a render. */
export class Scope {
  constructor(
    /** Its own names: the own properties of this object (never copied; not changed after, but by `$sort`). */
    readonly names: Record<string, unknown>,
    readonly parent: Scope | undefined,
    /** The render's builtins as json-e added them, before any `$let` could shadow one. */
    readonly builtins: Context,
  ) {}
}

/** What scopeValue returns for a name no scope has. */
export const MISSING: unique symbol = Symbol('missing');

/** The value of `name` in `scope` (json-e's `context[name]` after its `name in context`), or MISSING. */
export function scopeValue(scope: Scope, name: string): unknown {
  for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
    if (hasOwn(s.names, name)) return s.names[name];
  }
  return MISSING;
}

/** A fresh set of json-e's builtins and `now`, as json-e adds them to every render's context. */
export function builtinScope(): Scope {
  const builtins = addBuiltins({ now: fromNow('0 seconds') });
  return new Scope(builtins, undefined, builtins);
}

/** A scope holding `names` whose enclosing scope is `parent` (json-e's mergeContext(parent, names)). */
export function childScope(parent: Scope, names: Record<string, unknown>): Scope {
  return new Scope(names, parent, parent.builtins);
}

/**
 * What a json-e builtin is called with as its context. Only `defined` (an own-property test
 * of its argument on json-e's flat context) and `fromNow` (`now`) read it: they get a flat
 * object holding just what they read, as it would be on json-e's flat context. The others
 * ignore it.
 */
export function builtinContext(fn: unknown, scope: Scope, args: readonly unknown[]): Context {
  const flat = Object.create(null) as Context;
  const { builtins } = scope;
  if (fn !== builtins.defined && fn !== builtins.fromNow) return flat;
  const name = fn === builtins.defined ? args[0] : 'now';
  if (typeof name !== 'string') return flat;
  const value = scopeValue(scope, name);
  if (value !== MISSING) flat[name] = value;
  return flat;
}
