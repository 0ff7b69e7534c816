// JSON Pointers (RFC 6901) in the tests, written independently of the code under test:
// `~` is escaped as `~0` and `/` as `~1` in each segment.

/** The pointer to `segments`, e.g. pointerTo('metadata', 'annotations', 'a/b') → /metadata/annotations/a~1b. */
export function pointerTo(...segments: readonly string[]): string {
  return segments.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** A pointer's unescaped segments (the inverse of pointerTo). */
export function segmentsOf(pointer: string): string[] {
  return pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
