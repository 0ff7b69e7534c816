// AdmissionReview shapes (admission.k8s.io v1 and v1beta1 share them) and their decoding.
// HTTP-free: takes the parsed JSON body, returns a checked request or throws ReviewError
// naming the field at fault. The request object is referenced, never copied.
import { isPlainObject } from '../injection/plain-object.js';

export const REVIEW_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type ReviewVersion = (typeof REVIEW_VERSIONS)[number];

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The fields of an AdmissionRequest the injector reads. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  operation: string;
  /** Set for subresource requests (e.g. "status"); a subresource is never a Pod CREATE. */
  subResource?: string;
  /** The object's namespace as the apiserver saw it; the object itself usually has none. */
  namespace?: string;
  name?: string;
  object?: unknown;
  dryRun: boolean;
}

export interface DecodedReview {
  apiVersion: ReviewVersion;
  request: AdmissionRequest;
}

/** The body is not a usable AdmissionReview; `field` is the JSON path at fault. */
export class ReviewError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'ReviewError';
  }
}

type Json = Record<string, unknown>;

function optionalString(req: Json, field: string): string | undefined {
  const value = req[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new ReviewError(`request.${field}`, `request.${field} must be a string, got ${typeName(value)}`);
  }
  return value;
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

const SHOWN_CHARS = 100;

/**
 * A received value for an error message: strings quoted and cut, other scalars as they
 * are, objects and arrays by type. Never serialized whole: a client's value may be
 * megabytes long or nested so deep that JSON.stringify overflows the stack.
 */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    return value.length <= SHOWN_CHARS ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, SHOWN_CHARS))}… (${value.length} characters)`;
  }
  return typeof value === 'object' && value !== null ? typeName(value) : String(value);
}

/** Checks a parsed body is an AdmissionReview this server answers. Throws ReviewError. */
export function decodeReview(body: unknown): DecodedReview {
  if (!isPlainObject(body)) {
    throw new ReviewError('(body)', `expected an AdmissionReview JSON object, got ${typeName(body)}`);
  }
  if (body.kind !== 'AdmissionReview') {
    throw new ReviewError('kind', `kind must be "AdmissionReview", got ${shown(body.kind)}`);
  }
  const apiVersion = body.apiVersion;
  if (typeof apiVersion !== 'string' || !(REVIEW_VERSIONS as readonly string[]).includes(apiVersion)) {
    throw new ReviewError('apiVersion', `apiVersion must be one of ${REVIEW_VERSIONS.join(', ')}, got ${shown(apiVersion)}`);
  }
  const req = body.request;
  if (!isPlainObject(req)) {
    throw new ReviewError('request', `request must be an object, got ${req === undefined ? 'nothing' : typeName(req)}`);
  }
  if (typeof req.uid !== 'string' || req.uid === '') {
    throw new ReviewError('request.uid', 'request.uid must be a non-empty string');
  }
  const kind = req.kind;
  if (!isPlainObject(kind) || typeof kind.kind !== 'string' || kind.kind === '') {
    throw new ReviewError('request.kind', 'request.kind must be an object with a non-empty "kind" (e.g. {"group":"","version":"v1","kind":"Pod"})');
  }
  if (typeof req.operation !== 'string' || req.operation === '') {
    throw new ReviewError('request.operation', 'request.operation must be one of CREATE, UPDATE, DELETE, CONNECT');
  }
  if (req.dryRun !== undefined && req.dryRun !== null && typeof req.dryRun !== 'boolean') {
    throw new ReviewError('request.dryRun', `request.dryRun must be a boolean, got ${typeName(req.dryRun)}`);
  }
  return {
    apiVersion: apiVersion as ReviewVersion,
    request: {
      uid: req.uid,
      kind: {
        group: typeof kind.group === 'string' ? kind.group : '',
        version: typeof kind.version === 'string' ? kind.version : '',
        kind: kind.kind,
      },
      operation: req.operation,
      subResource: optionalString(req, 'subResource'),
      namespace: optionalString(req, 'namespace'),
      name: optionalString(req, 'name'),
      object: req.object ?? undefined,
      dryRun: req.dryRun === true,
    },
  };
}

/** True for the one kind of request the injector changes: a Pod (core group) being created. */
export function isPodCreate(request: AdmissionRequest): boolean {
  return request.kind.kind === 'Pod' && request.kind.group === '' && request.operation === 'CREATE'
    && request.subResource === undefined;
}
