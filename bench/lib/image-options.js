// @ts-check
// How the image runs the injector: its program (the Dockerfile's ENTRYPOINT), the Node.js
// options (the last `ENV NODE_OPTIONS=...`) and the rest of its environment (its other
// `ENV` lines, e.g. the allocator's), so the benchmark measures `serve` as it is shipped.
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * The program the image runs, in the repository `root` (another build's, for A/B runs): the
 * ENTRYPOINT's script, made by `npm run build`. A build from before the bundle has only bin/.
 */
export function imageProgram(root = REPO_ROOT, dockerfile = path.join(root, 'Dockerfile')) {
  const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readFileSync(dockerfile, 'utf8'));
  const script = entry ? JSON.parse(entry[1])[1] : undefined;
  const program = typeof script === 'string' ? path.join(root, script) : '';
  return existsSync(program) ? program : path.join(root, 'bin', 'sidecar-injector.js');
}
