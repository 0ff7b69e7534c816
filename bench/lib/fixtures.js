// @ts-check
// The three captured AdmissionReviews the benchmark measures, read as bytes.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const REVIEWS = [
  { id: 'small', file: '01-v1-nginx.json' },
  { id: 'typical', file: '03-v1-checkout-57c78896fb.json' },
  { id: 'huge', file: '08-v1-big-env.json' },
];

/** Each review with its path, bytes and size; throws naming the missing file. */
export function loadReviews(dir) {
  return REVIEWS.map((review) => {
    const file = path.join(dir, review.file);
    let body;
    try {
      body = readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read fixture ${file}: ${err.message}; pass --fixtures DIR (a directory holding ${REVIEWS.map((r) => r.file).join(', ')})`);
    }
    return { ...review, path: file, size: body.length, body };
  });
}
