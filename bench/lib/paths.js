// @ts-check
// Where things are: the repository root (this file is bench/lib/paths.js) and the
// compiled program in dist/, which `npm run bench` builds first.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BENCH_DIR = path.join(REPO_ROOT, 'bench');
/**
 * The launcher of the unbundled program (dist/ as tsc writes it). Section 2b profiles it: its
 * CPU profiles name each file, which is how stages are told apart. Every other section runs
 * the image's program (image-options.js imageProgram), bundled from the same dist/.
 */
export const UNBUNDLED_CLI = path.join(REPO_ROOT, 'bin', 'sidecar-injector.js');
export const TEMPLATES_DIR = path.join(REPO_ROOT, 'templates');
/** The captured AdmissionReviews, the test suite's fixtures. */
export const DEFAULT_FIXTURES_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'admission-reviews');
/** The repository's local control plane scripts (kube-up, kube-down). */
export const DEFAULT_KUBE_DIR = path.join(REPO_ROOT, 'test', 'e2e', 'cluster');

/** A module of the compiled program, e.g. dist('admission/review.js'). */
export function dist(relative) {
  return path.join(REPO_ROOT, 'dist', relative);
}

export function benchFile(relative) {
  return path.join(BENCH_DIR, relative);
}
