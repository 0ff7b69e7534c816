// The limit defaults, the image's V8 heap limit and deploy/'s memory limit fit together:
// --max-in-flight × --max-body-bytes plus the heap stays inside the container's limit
// with headroom, and the README states the same figures.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS } from '../../src/server/limit-defaults.js';

const repo = (file: string) => readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8');
const MiB = 1024 * 1024;

t.test('bodies in flight plus the heap limit fit deploy/\'s memory limit with headroom', async (t) => {
  const heapMiB = Number(/^ENV NODE_OPTIONS=.*--max-old-space-size=(\d+)/m.exec(repo('Dockerfile'))?.[1]);
  t.ok(heapMiB > 0, `the image sets a V8 heap limit (${heapMiB} MiB)`);
  const limits = /limits:\s*\n\s*cpu: "?[\w.]+"?\s*\n\s*memory: (\d+)Mi/.exec(repo('deploy/base/deployment.yaml'));
  const containerMiB = Number(limits?.[1]);
  t.ok(containerMiB > 0, `deploy/base sets a memory limit (${containerMiB} Mi)`);
  const bodiesMiB = DEFAULT_LIMITS.maxInFlight * DEFAULT_LIMITS.maxBodyBytes / MiB;
  const headroom = containerMiB - bodiesMiB - heapMiB;
  t.ok(headroom >= 32, `${DEFAULT_LIMITS.maxInFlight} × ${DEFAULT_LIMITS.maxBodyBytes / MiB} MiB + ${heapMiB} MiB leaves ${headroom} MiB of ${containerMiB} Mi`);
  const readme = repo('README.md');
  for (const figure of [`${bodiesMiB} MiB`, `--max-old-space-size=${heapMiB}`, `${bodiesMiB + heapMiB} MiB`, `${containerMiB} Mi`, `${headroom} MiB`]) {
    t.match(readme, figure, `README states ${figure}`);
  }
});
