// Where the repository's pieces are, and the check that the program was built.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = join(REPO_ROOT, 'bin/sidecar-injector.js');
/** What the image runs (the Dockerfile's ENTRYPOINT): the CLI bundled by `npm run build` (scripts/bundle-image.js). */
export const IMAGE_ENTRY = join(REPO_ROOT, 'dist/bundle/sidecar-injector.js');
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
export const TEMPLATES_DIR = join(REPO_ROOT, 'templates');

/** The suite runs the built program, as users do; it builds nothing itself. */
export function requireBuild(): void {
  for (const entry of [join(REPO_ROOT, 'dist/cli/main.js'), IMAGE_ENTRY]) {
    if (!existsSync(entry)) {
      throw new Error(`${entry} is missing: the e2e suite runs the built injector; run \`npm run build\` first`);
    }
  }
}

/**
 * The command that starts the built program as users start it. tap's process tracker
 * (@tapjs/processinfo) puts its import hook into NODE_OPTIONS of every child spawned from
 * a test, whatever env is passed; `env -u NODE_OPTIONS` drops it just before node starts
 * (env execs node, so the pid is node's). With the hook the injector read the source map
 * of every module it loaded and, with the Kubernetes client, ran at 2.5 times its memory.
 * NODE_V8_COVERAGE goes too: under a covered run (test/cli/bin.test.ts) the bundle's
 * minified chunks would count as sources.
 */
export function programCommand(args: readonly string[]): [string, string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', '-u', 'NODE_V8_COVERAGE', process.execPath, ...args]];
}
