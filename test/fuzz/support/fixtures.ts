// The captured AdmissionReviews (test/support/fixtures.ts), read once per fuzz process.
import { findCaptured, readCapturedReviews, type CapturedReview as Captured } from '../../support/fixtures.js';

export interface CapturedReview extends Omit<Captured, 'review'> {
  review: Record<string, any>;
  /** A Pod CREATE: the engine runs for it. */
  podCreate: boolean;
}

let cache: CapturedReview[] | undefined;

export function capturedReviews(): CapturedReview[] {
  cache ??= readCapturedReviews().map(({ file, text, review }) => ({
    file, text, review, podCreate: review.request.kind.kind === 'Pod' && review.request.operation === 'CREATE',
  }));
  return cache;
}

export function capturedReview(prefix: string): CapturedReview {
  return findCaptured(capturedReviews(), prefix);
}
