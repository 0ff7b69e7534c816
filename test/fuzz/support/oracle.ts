// What every answer of the webhook must look like, whatever was sent: a JSON error (4xx,
// `{error:{code,message}}`) or an AdmissionReview in the request's version with its uid,
// whose patch decodes and applies cleanly to the request's object. Each check returns the
// list of violations (empty when the answer is fine), so a failure says what was wrong.
import fjp from 'fast-json-patch';
import { ERROR_STATUS } from '../../../src/server/errors.js';
import { REVIEW_VERSIONS } from '../../../src/admission/review.js';

export interface SentRequest {
  /** The body bytes as sent. */
  body: Buffer;
}

export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The request body as the server's JSON parser reads it (UTF-8, a leading BOM dropped); undefined when it is not JSON. */
export function parseSent(body: Buffer): unknown {
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The decoded JSONPatch of an answer (undefined when there is none or it does not decode). */
export function decodePatch(patch: unknown): unknown[] | undefined {
  if (typeof patch !== 'string') return undefined;
  const bytes = Buffer.from(patch, 'base64');
  if (bytes.toString('base64') !== patch) return undefined;
  try {
    const ops = JSON.parse(bytes.toString('utf8'));
    return Array.isArray(ops) ? ops : undefined;
  } catch {
    return undefined;
  }
}

/** Everything a client reads from an answer, the patch decoded: for looking for other requests' data. */
export function readableText(answer: Answer): string {
  let text = answer.body;
  try {
    const patch = decodePatch(JSON.parse(answer.body)?.response?.patch);
    if (patch) text += `\n${JSON.stringify(patch)}`;
  } catch {
    // not JSON: the body is all there is
  }
  return text;
}

/** Names of the containers the patch adds under /spec/containers and /spec/initContainers (the list, or one entry). */
function addedContainerNames(ops: unknown[]): Set<unknown> {
  const names = new Set<unknown>();
  for (const op of ops) {
    if (!isPlainObject(op) || op.op !== 'add' || typeof op.path !== 'string') continue;
    if (/^\/spec\/(containers|initContainers)$/.test(op.path) && Array.isArray(op.value)) op.value.forEach((c) => isPlainObject(c) && names.add(c.name));
    else if (/^\/spec\/(containers|initContainers)\/(\d+|-)$/.test(op.path) && isPlainObject(op.value)) names.add(op.value.name);
  }
  return names;
}

/**
 * A `remove` is only ever the move of a pod's container declaration (an override of an
 * injected container, or a native sidecar's declaration moving to initContainers):
 * `/spec/containers/N` or `/spec/initContainers/N`, whose container the patch adds again by name.
 */
export function relocates(path: unknown, ops: unknown[], target: unknown): boolean {
  const match = typeof path === 'string' ? /^\/spec\/(containers|initContainers)\/(\d+)$/.exec(path) : null;
  if (match === null || !isPlainObject(target) || !isPlainObject(target.spec)) return false;
  const list = target.spec[match[1]];
  const container: unknown = Array.isArray(list) ? list[Number(match[2])] : undefined;
  return isPlainObject(container) && typeof container.name === 'string' && addedContainerNames(ops).has(container.name);
}

/**
 * Applies `ops` to `target` with validation (fast-json-patch); returns the problem, or
 * undefined when every operation is an `add` (or a `replace`, which merging by name gives; or the
 * `remove` of a container declaration that moves) that applies.
 */
export function patchProblem(ops: unknown[], target: unknown): string | undefined {
  for (const [i, op] of ops.entries()) {
    if (isPlainObject(op) && op.op === 'remove' && relocates(op.path, ops, target)) continue;
    if (!isPlainObject(op) || (op.op !== 'add' && op.op !== 'replace') || typeof op.path !== 'string' || !('value' in op)) {
      return `operation ${i} is not an add or replace with a path and a value, nor the removal of a container declaration that moves: ${JSON.stringify(op)?.slice(0, 200)}`;
    }
  }
  try {
    // validateOperation: each operation is checked against the document as it applies.
    // (fjp.validate() would first deep-clone the document, which overflows the stack on
    // the deeply nested objects the fuzzers send; applying in place does not.)
    fjp.applyPatch(target, ops as fjp.Operation[], true, true);
  } catch (err) {
    return `the patch does not apply: ${(err as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

function checkError(answer: Answer, body: unknown, problems: string[]): void {
  if (!isPlainObject(body) || !isPlainObject(body.error)) {
    problems.push(`a ${answer.statusCode} without an {error:{…}} body`);
    return;
  }
  const { code, message } = body.error;
  if (typeof code !== 'string' || !Object.hasOwn(ERROR_STATUS, code)) problems.push(`unknown error code ${JSON.stringify(code)}`);
  else if (ERROR_STATUS[code as keyof typeof ERROR_STATUS] !== answer.statusCode) problems.push(`error code ${code} with status ${answer.statusCode}`);
  if (typeof message !== 'string' || message === '') problems.push('an error without a message');
}

function checkReview(body: unknown, sent: unknown, problems: string[]): void {
  if (!isPlainObject(body)) {
    problems.push('a 200 whose body is not an object');
    return;
  }
  const request = isPlainObject(sent) && isPlainObject(sent.request) ? sent.request : undefined;
  if (!isPlainObject(sent) || !request) {
    problems.push('a 200 for a body that is not an AdmissionReview');
    return;
  }
  const extra = Object.keys(body).filter((k) => !['apiVersion', 'kind', 'response'].includes(k));
  if (extra.length > 0) problems.push(`unexpected fields ${extra.join(', ')}`);
  if (!(REVIEW_VERSIONS as readonly unknown[]).includes(sent.apiVersion)) problems.push(`a 200 for apiVersion ${JSON.stringify(sent.apiVersion)}`);
  if (body.apiVersion !== sent.apiVersion) problems.push(`answered in ${JSON.stringify(body.apiVersion)} to ${JSON.stringify(sent.apiVersion)}`);
  if (body.kind !== 'AdmissionReview') problems.push(`kind ${JSON.stringify(body.kind)}`);
  const response = body.response;
  if (!isPlainObject(response)) {
    problems.push('no response object');
    return;
  }
  if (typeof request.uid !== 'string' || request.uid === '') problems.push('a 200 for a request without a uid');
  if (response.uid !== request.uid) problems.push(`uid ${JSON.stringify(response.uid)} for request ${JSON.stringify(request.uid)}`);
  if (typeof response.allowed !== 'boolean') problems.push('allowed is not a boolean');
  if (response.warnings !== undefined && (!Array.isArray(response.warnings) || !response.warnings.every((w) => typeof w === 'string'))) {
    problems.push('warnings is not a list of strings');
  }
  if (response.allowed === false) {
    const status = response.status;
    if (!isPlainObject(status) || typeof status.code !== 'number' || typeof status.message !== 'string' || status.message === '') {
      problems.push(`a denial without a status code and message: ${JSON.stringify(status)}`);
    }
    if (response.patch !== undefined) problems.push('a denial with a patch');
    // 5xx in a denial means admit() caught an exception: the engine must not throw for bad input.
    if (isPlainObject(status) && typeof status.code === 'number' && status.code >= 500) {
      problems.push(`an internal error instead of a verdict: ${String(status.message).slice(0, 300)}`);
    }
  }
  if (response.patch !== undefined || response.patchType !== undefined) {
    if (response.patchType !== 'JSONPatch') problems.push(`patchType ${JSON.stringify(response.patchType)}`);
    const ops = decodePatch(response.patch);
    if (!ops) {
      problems.push('the patch is not base64 of a JSON array');
      return;
    }
    const problem = patchProblem(ops, request.object);
    if (problem) problems.push(problem);
  }
}

/**
 * The violations in one answer. `sent` is the parsed request body (see parseSent), a fresh
 * copy: the patch is applied to its object in place.
 */
export function answerProblems(answer: Answer, sent: unknown): string[] {
  const problems: string[] = [];
  const type = String(answer.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) problems.push(`content type ${JSON.stringify(type)}`);
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    problems.push(`a body that is not JSON: ${answer.body.slice(0, 200)}`);
    return problems;
  }
  if (answer.statusCode === 200) checkReview(body, sent, problems);
  else if (answer.statusCode >= 400 && answer.statusCode < 500) checkError(answer, body, problems);
  else problems.push(`status ${answer.statusCode}: ${answer.body.slice(0, 300)}`);
  return problems;
}
