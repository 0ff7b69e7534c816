// @ts-check
// The Node.js options the image runs the injector with (the Dockerfile's last
// `ENV NODE_OPTIONS=...`), so the benchmark measures `serve` as it is shipped.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';

export function imageNodeOptions(dockerfile = path.join(REPO_ROOT, 'Dockerfile')) {
  const lines = [...readFileSync(dockerfile, 'utf8').matchAll(/^ENV NODE_OPTIONS=(?:"([^"]*)"|(\S*))\s*$/gm)];
  const last = lines.at(-1);
  return last ? (last[1] ?? last[2]).split(/\s+/).filter(Boolean) : [];
}
