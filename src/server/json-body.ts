// The webhook's JSON body parser: fastify's own (which refuses __proto__ and constructor
// keys), behind a nesting-depth check of the raw text (json-depth.ts) that turns a
// hostile body away in one cheap pass instead of seconds of JSON.parse.
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';
import { findTooDeep } from './json-depth.js';

type Done = (err: Error | null, body?: unknown) => void;
type StringParser = (request: FastifyRequest, body: string, done: Done) => void;

export function depthLimitedJsonParser(parse: StringParser, maxDepth: number) {
  // Read as bytes: the depth scan is cheaper over bytes than over the decoded string.
  return function parseDepthLimitedJson(request: FastifyRequest, body: string | Buffer, done: Done): void {
    const tooDeep = findTooDeep(body, maxDepth);
    if (tooDeep) {
      done(new HttpError('nesting-too-deep',
        `request body nests arrays and objects deeper than ${maxDepth} levels (at character ${tooDeep.offset}); an AdmissionReview nests far less`,
        { field: tooDeep.path }));
      return;
    }
    parse(request, typeof body === 'string' ? body : body.toString('utf8'), done);
  };
}
