// The proof of the template compiler (src/injection/template-compile.ts): a template's
// compiled render and json-e's own render of it give deep-equal values, or errors with the
// same message, class and location (json-e's toString names where in the template it failed).
import { isDeepStrictEqual } from 'node:util';
import jsone from 'json-e';
import { compileTemplate, type CompiledTemplate } from '../../src/injection/template-compile.js';

type Outcome = { value: unknown } | { error: string; name: string; text: string };

function outcome(render: () => unknown): Outcome {
  try {
    return { value: render() };
  } catch (err) {
    const e = err as Error;
    return { error: e.message, name: e.constructor.name, text: String(e) };
  }
}

/** Renders `source` with json-e and with its compiled form, each on its own copy of `context`. */
export function renderBoth(source: unknown, context: Record<string, unknown>, compiled: CompiledTemplate = compileTemplate(source)): {
  jsone: Outcome; compiled: Outcome; same: boolean;
} {
  // A copy each: `$reverse` reverses what it is given in place, context lists included.
  const expected = outcome(() => jsone(source as object, structuredClone(context)));
  const actual = outcome(() => compiled(structuredClone(context)));
  return { jsone: expected, compiled: actual, same: isDeepStrictEqual(expected, actual) };
}

/** One render that differs, for the report. */
export interface Mismatch { label: string; jsone: Outcome; compiled: Outcome }

/** Collects renders: how many ran, and the ones that differ. */
export class ParityLog {
  readonly mismatches: Mismatch[] = [];
  renders = 0;
  errors = 0;
  readonly #compiled = new WeakMap<object, CompiledTemplate>();

  check(label: string, source: unknown, context: Record<string, unknown>): void {
    let compiled = typeof source === 'object' && source !== null ? this.#compiled.get(source) : undefined;
    if (compiled === undefined) {
      compiled = compileTemplate(source);
      if (typeof source === 'object' && source !== null) this.#compiled.set(source, compiled);
    }
    const result = renderBoth(source, context, compiled);
    this.renders++;
    if ('error' in result.jsone) this.errors++;
    if (!result.same) this.mismatches.push({ label, jsone: result.jsone, compiled: result.compiled });
  }
}
