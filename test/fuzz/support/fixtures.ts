// The captured AdmissionReviews (test/fixtures/admission-reviews), as text and parsed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from '../../support/config.js';

export interface CapturedReview {
  file: string;
  text: string;
  review: Record<string, any>;
  /** A Pod CREATE: the engine runs for it. */
  podCreate: boolean;
}

let cache: CapturedReview[] | undefined;

export function capturedReviews(): CapturedReview[] {
  cache ??= readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.json')).sort().map((file) => {
    const text = readFileSync(join(FIXTURES_DIR, file), 'utf8');
    const review = JSON.parse(text);
    return { file, text, review, podCreate: review.request.kind.kind === 'Pod' && review.request.operation === 'CREATE' };
  });
  return cache;
}

export function capturedReview(prefix: string): CapturedReview {
  const found = capturedReviews().find((f) => f.file.startsWith(prefix));
  if (!found) throw new Error(`no captured review ${prefix}* in ${FIXTURES_DIR}`);
  return found;
}
