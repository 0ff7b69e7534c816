// Checks that hold for a whole fuzz run: the built-in prototypes are exactly as they were
// (no key added, removed or replaced: prototype pollution), and memory after garbage
// collection stays bounded.
import { setFlagsFromString } from 'node:v8';
import type { Test } from 'tap';
import { runInNewContext } from 'node:vm';
import { writeFigures } from './budget.js';

const PROTOTYPES: ReadonlyArray<[string, object]> = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
  ['Number.prototype', Number.prototype],
  ['Boolean.prototype', Boolean.prototype],
];

type Fingerprint = Map<string, Map<PropertyKey, unknown[]>>;

/** Every own key of each prototype with what it holds (value, getter, setter), by identity. */
export function prototypeFingerprint(): Fingerprint {
  const fingerprint: Fingerprint = new Map();
  for (const [name, proto] of PROTOTYPES) {
    const keys = new Map<PropertyKey, unknown[]>();
    for (const key of Reflect.ownKeys(proto)) {
      const d = Reflect.getOwnPropertyDescriptor(proto, key)!;
      keys.set(key, [d.value, d.get, d.set, d.writable, d.enumerable, d.configurable]);
    }
    fingerprint.set(name, keys);
  }
  return fingerprint;
}

/** What differs between two fingerprints, plus any `polluted` property an empty object or array can see. */
export function prototypeChanges(before: Fingerprint, after: Fingerprint = prototypeFingerprint()): string[] {
  const changes: string[] = [];
  for (const [name, keys] of before) {
    const now = after.get(name)!;
    for (const [key, held] of keys) {
      const current = now.get(key);
      if (!current) changes.push(`${name}: ${String(key)} removed`);
      else if (current.some((v, i) => v !== held[i])) changes.push(`${name}: ${String(key)} replaced`);
    }
    for (const key of now.keys()) if (!keys.has(key)) changes.push(`${name}: ${String(key)} added`);
  }
  for (const [what, probe] of [['{}', {}], ['[]', []], ['a function', () => 0], ['a string', '']] as const) {
    if ((probe as Record<string, unknown>).polluted !== undefined) changes.push(`${what} sees a "polluted" property`);
  }
  return changes;
}

let gc: (() => void) | undefined;

/** Heap bytes in use after a full garbage collection. */
export function heapAfterGc(): number {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** The largest resident set size this process has had, in bytes. */
export function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Heap after GC at the start of a run and after its warm-up (the first fuzz target: code
 * compiled, caches filled, the largest generated values seen), to compare with the end:
 * growth after the warm-up, under tens of thousands more cases in the long mode, would be
 * retained garbage.
 */
export class MemoryWatch {
  readonly startHeap = heapAfterGc();
  private warmHeap = this.startHeap;

  /** Marks the end of the warm-up. */
  warmedUp(): void {
    this.warmHeap = heapAfterGc();
  }

  /** Heap after GC now, its growth since the warm-up, and the largest RSS so far. */
  sample(): { heap: number; growth: number; maxRss: number; text: string } {
    const heap = heapAfterGc();
    const growth = heap - this.warmHeap;
    const maxRss = maxRssBytes();
    const signed = (n: number) => `${n >= 0 ? '+' : ''}${mib(n)}`;
    return {
      heap, growth, maxRss,
      text: `heap after GC: ${mib(this.startHeap)} at the start, ${mib(this.warmHeap)} after the warm-up, ${mib(heap)} at the end (${signed(growth)} since the warm-up); max RSS ${mib(maxRss)}`,
    };
  }
}

/** End of a fuzz file: no prototype changed since `before` (taken when the file started). */
export function assertPrototypesUntouched(t: Test, before: Fingerprint): void {
  t.same(prototypeChanges(before), [], 'Object/Array/Function/String/Number/Boolean prototypes unchanged, nothing sees "polluted"');
}

/** End of a fuzz file: the heap after GC grew by less than 128 MiB since the warm-up; figures for FUZZ_REPORT. */
export function assertHeapBounded(t: Test, watch: MemoryWatch, file: string): void {
  const memory = watch.sample();
  t.comment(memory.text);
  t.ok(memory.growth < 128 * 1024 * 1024, `the heap after GC grew by less than 128 MiB after the warm-up (${mib(memory.growth)})`);
  writeFigures(file, memory);
}
