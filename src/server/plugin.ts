// Tiny helper for named fastify plugins that apply to the app they are registered on
// (what the fastify-plugin package does; not a dependency here).
import type { FastifyInstance } from 'fastify';

type PluginFn<O> = (app: FastifyInstance, opts: O) => Promise<void>;

/** Marks a plugin as not encapsulated and gives it a name for fastify's plugin tree. */
export function rootPlugin<O>(name: string, fn: PluginFn<O>): PluginFn<O> {
  Object.defineProperty(fn, 'name', { value: name });
  const marked = fn as PluginFn<O> & Record<symbol, unknown>;
  marked[Symbol.for('skip-override')] = true;
  marked[Symbol.for('fastify.display-name')] = name;
  return fn;
}
