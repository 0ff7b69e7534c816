// @ts-check
// How the image runs the injector: the Node.js options (the Dockerfile's last
// `ENV NODE_OPTIONS=...`) and the rest of its environment (its other `ENV` lines, e.g. the
// allocator's), so the benchmark measures `serve` as it is shipped.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';

const DOCKERFILE = path.join(REPO_ROOT, 'Dockerfile');

/** Each `ENV NAME=value` line of the Dockerfile (one variable a line), later lines winning. */
function dockerfileEnv(dockerfile) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const m of readFileSync(dockerfile, 'utf8').matchAll(/^ENV ([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|(\S*))\s*$/gm)) {
    env[m[1]] = m[2] ?? m[3];
  }
  return env;
}

export function imageNodeOptions(dockerfile = DOCKERFILE) {
  const options = dockerfileEnv(dockerfile).NODE_OPTIONS;
  return options ? options.split(/\s+/).filter(Boolean) : [];
}

/** The image's environment besides NODE_OPTIONS (which servers get as flags, imageNodeOptions). */
export function imageEnvironment(dockerfile = DOCKERFILE) {
  const { NODE_OPTIONS: _options, ...env } = dockerfileEnv(dockerfile);
  return env;
}
