// The webhook's JSON body parser: fastify's own (which refuses __proto__ and constructor
// keys), with a nesting-depth check (json-depth.ts) that turns a hostile body away at the
// cost of one cheap pass instead of seconds of JSON.parse.
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';
import { findTooDeep, valueNestsDeeper, type TooDeep } from './json-depth.js';

type Done = (err: Error | null, body?: unknown) => void;
type StringParser = (request: FastifyRequest, body: string, done: Done) => void;

/**
 * Bodies up to this size are parsed first and their value checked: all brackets, 64 KiB
 * parse in a few milliseconds, and walking a typical review's values costs half of
 * scanning its compact bytes (a quarter of its indented ones). Larger bodies are scanned
 * before they are parsed.
 */
export const PARSE_FIRST_MAX_BYTES = 64 * 1024;

/** Whether a body of `length` bytes is parsed first (its value walked) rather than scanned first. */
export function parsesFirst(length: number): boolean {
  return length <= PARSE_FIRST_MAX_BYTES;
}

function tooDeepError(found: TooDeep | undefined, maxDepth: number): HttpError {
  const where = found ? ` (at character ${found.offset})` : '';
  return new HttpError('nesting-too-deep',
    `request body nests arrays and objects deeper than ${maxDepth} levels${where}; an AdmissionReview nests far less`,
    found ? { field: found.path } : undefined);
}

export function depthLimitedJsonParser(parse: StringParser, maxDepth: number) {
  // Read as bytes: the depth scan is cheaper over bytes than over the decoded string.
  return function parseDepthLimitedJson(request: FastifyRequest, body: string | Buffer, done: Done): void {
    if (parsesFirst(body.length)) {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      parse(request, text, (err, value) => {
        // The text is scanned again only to name where it is too deep.
        if (!err && valueNestsDeeper(value, maxDepth)) done(tooDeepError(findTooDeep(text, maxDepth), maxDepth));
        else done(err, value);
      });
      return;
    }
    const tooDeep = findTooDeep(body, maxDepth);
    if (tooDeep) {
      done(tooDeepError(tooDeep, maxDepth));
      return;
    }
    parse(request, typeof body === 'string' ? body : body.toString('utf8'), done);
  };
}
