// The render context of compiled templates: a chain of scopes instead of json-e's one flat
// object per scope. json-e copies the whole context (its ~20 builtins, `now`, the
// template's context and every enclosing `$let` name) for each `$let` and for each
// iteration of `$map`, `$find`, `$reduce` and `$sort`: most of a render of the istio
// template went to those copies. Here a scope is an object holding its own names whose
// prototype is the enclosing scope, down to the builtins; every object of the chain has
// no other prototype, so `name in scope` is json-e's own-property test on the flat copy.
import { addBuiltins, fromNow, type Context } from './jsone-internals.js';

/** On the builtins' object: the builtins themselves, as they were before any `$let`. */
const BUILTINS = Symbol('builtins');

/** A fresh set of json-e's builtins and `now`, as json-e adds them to every render's context. */
export function builtinScope(): Context {
  const base = addBuiltins({ now: fromNow('0 seconds') });
  Object.defineProperty(base, BUILTINS, { value: base });
  return base;
}

/** A scope holding `names` whose enclosing scope is `parent` (json-e's mergeContext(parent, names)). */
export function childScope(parent: Context, names: Record<string, unknown>): Context {
  const scope = Object.create(parent) as Context;
  for (const key of Object.keys(names)) scope[key] = names[key];
  return scope;
}

/**
 * What a json-e builtin is called with as its context. Only `defined` (an own-property test
 * of its argument on json-e's flat context) and `fromNow` (`now`) read it: they get a flat
 * object holding just what they read, as it would be on json-e's flat context.
 */
export function builtinContext(fn: unknown, scope: Context, args: readonly unknown[]): Context {
  const builtins = scope[BUILTINS as unknown as string] as Context | undefined;
  if (builtins === undefined || (fn !== builtins.defined && fn !== builtins.fromNow)) return scope;
  const flat = Object.create(null) as Context;
  const name = fn === builtins.defined ? args[0] : 'now';
  if (typeof name === 'string' && name in scope) flat[name] = scope[name];
  return flat;
}
