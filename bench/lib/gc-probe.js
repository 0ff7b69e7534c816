// @ts-check
// Preloaded into a server under test (node --expose-gc --import this-file ...): on
// SIGUSR2 it writes one line to stderr with the memory use before and after a full
// garbage collection. The server's own code is untouched; the signal is otherwise unused.
process.on('SIGUSR2', () => {
  const before = process.memoryUsage();
  globalThis.gc?.();
  const after = process.memoryUsage();
  process.stderr.write(`bench-memory ${JSON.stringify({ before, after, gc: typeof globalThis.gc === 'function' })}\n`);
});
