// @ts-check
// Section 1: the handling of one review inside one process (lib/handlers.js), timed in
// one child and its allocations counted in another (which needs a larger young
// generation, so it must not be the one that is timed); and the namespace cache's
// footprint with 5,000 namespaces.
import { runJsonChild } from '../lib/proc.js';
import { benchFile } from '../lib/paths.js';

export async function runInProcess({ fixturesDir, quick, cpu, log }) {
  log('in-process: timing the three reviews');
  const timing = await runJsonChild(benchFile('children/in-process-timing.js'), { fixturesDir, quick }, { cpu });
  log('in-process: counting allocations');
  const alloc = await runJsonChild(benchFile('children/in-process-alloc.js'), { fixturesDir, quick }, {
    cpu, nodeFlags: ['--expose-gc', '--min-semi-space-size=128', '--max-semi-space-size=128'],
  });
  return {
    reviews: timing.reviews.map((r) => ({ ...r, alloc: alloc.reviews.find((a) => a.id === r.id) })),
    templates: timing.templates,
    profiles: timing.profiles,
    loopOverheadBytes: alloc.loopOverheadBytes,
    namespaceCache: await runJsonChild(benchFile('children/namespace-footprint.js'), {}, { nodeFlags: ['--expose-gc'] }),
  };
}
