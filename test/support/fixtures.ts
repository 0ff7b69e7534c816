// The captured AdmissionReviews (test/fixtures/admission-reviews, see its README), as text
// and parsed: the one reader of the golden, server and fuzz tests.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from './config.js';

/** The parts of a captured review the tests read (the object is any pod or workload). */
export interface CapturedReviewBody {
  apiVersion: string;
  request: { uid: string; namespace: string; operation: string; dryRun: boolean; kind: { kind: string }; object: any };
}

export interface CapturedReview {
  file: string;
  text: string;
  review: CapturedReviewBody;
}

/** Every capture, in file name order, read and parsed afresh (callers may change theirs). */
export function readCapturedReviews(): CapturedReview[] {
  return readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.json')).sort().map((file) => {
    const text = readFileSync(join(FIXTURES_DIR, file), 'utf8');
    return { file, text, review: JSON.parse(text) as CapturedReviewBody };
  });
}

/** The one capture whose file name starts with `prefix` (e.g. "03-"). */
export function findCaptured<R extends { file: string }>(reviews: readonly R[], prefix: string): R {
  const found = reviews.find((r) => r.file.startsWith(prefix));
  if (!found) throw new Error(`no captured review ${prefix}* in ${FIXTURES_DIR}`);
  return found;
}
