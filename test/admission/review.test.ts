// Decoding AdmissionReviews: every capture decodes; every malformed part is named.
import t from 'tap';
import { decodeReview, isPodCreate, ReviewError } from '../../src/admission/review.js';
import { fixtures } from '../server/support/harness.js';

function review(request: Record<string, unknown>, top: Record<string, unknown> = {}) {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request, ...top };
}
const good = { uid: 'u-1', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'shop', object: { spec: {} } };

t.test('every captured review decodes with its version, uid, kind, operation and dryRun', async (t) => {
  for (const f of fixtures()) {
    const decoded = decodeReview(f.review);
    t.equal(decoded.apiVersion, f.review.apiVersion, `${f.file} version`);
    t.equal(decoded.request.uid, f.review.request.uid, `${f.file} uid`);
    t.equal(decoded.request.kind.kind, f.review.request.kind.kind, `${f.file} kind`);
    t.equal(decoded.request.operation, f.review.request.operation, `${f.file} operation`);
    t.equal(decoded.request.dryRun, f.review.request.dryRun, `${f.file} dryRun`);
    t.equal(decoded.request.namespace, 'shop', `${f.file} namespace`);
    t.equal(decoded.request.object, f.review.request.object, `${f.file} object is referenced, not copied`);
  }
});

t.test('malformed reviews name the field at fault', async (t) => {
  const cases: Array<[string, unknown, string]> = [
    ['array body', [], '(body)'],
    ['string body', 'x', '(body)'],
    ['null body', null, '(body)'],
    ['wrong kind', { ...review(good), kind: 'Pod' }, 'kind'],
    ['no kind', { apiVersion: 'admission.k8s.io/v1', request: good }, 'kind'],
    ['unknown version', review(good, { apiVersion: 'admission.k8s.io/v2' }), 'apiVersion'],
    ['no version', { kind: 'AdmissionReview', request: good }, 'apiVersion'],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'request'],
    ['request is an array', review(good, { request: [] }), 'request'],
    ['no uid', review({ ...good, uid: undefined }), 'request.uid'],
    ['empty uid', review({ ...good, uid: '' }), 'request.uid'],
    ['numeric uid', review({ ...good, uid: 7 }), 'request.uid'],
    ['no kind', review({ ...good, kind: undefined }), 'request.kind'],
    ['kind as string', review({ ...good, kind: 'Pod' }), 'request.kind'],
    ['no operation', review({ ...good, operation: undefined }), 'request.operation'],
    ['dryRun as string', review({ ...good, dryRun: 'true' }), 'request.dryRun'],
    ['namespace as number', review({ ...good, namespace: 3 }), 'request.namespace'],
    ['subResource as object', review({ ...good, subResource: {} }), 'request.subResource'],
  ];
  for (const [name, body, field] of cases) {
    let caught: unknown;
    try { decodeReview(body); } catch (err) { caught = err; }
    t.ok(caught instanceof ReviewError, `${name}: a ReviewError`);
    t.equal((caught as ReviewError).field, field, `${name}: names ${field}`);
    t.match((caught as ReviewError).message, field === '(body)' ? 'AdmissionReview' : field, `${name}: message names it`);
  }
});

t.test('optional fields: empty strings and null are absent; dryRun defaults to false', async (t) => {
  const decoded = decodeReview(review({ ...good, namespace: '', name: null, subResource: '', dryRun: null }));
  t.equal(decoded.request.namespace, undefined);
  t.equal(decoded.request.name, undefined);
  t.equal(decoded.request.subResource, undefined);
  t.equal(decoded.request.dryRun, false);
  t.same(decodeReview(review({ ...good, kind: { kind: 'Pod' } })).request.kind, { group: '', version: '', kind: 'Pod' });
});

t.test('isPodCreate: only a core-group Pod CREATE without subresource', async (t) => {
  const base = decodeReview(review(good)).request;
  t.ok(isPodCreate(base));
  t.notOk(isPodCreate({ ...base, operation: 'UPDATE' }));
  t.notOk(isPodCreate({ ...base, kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }));
  t.notOk(isPodCreate({ ...base, kind: { group: 'example.com', version: 'v1', kind: 'Pod' } }));
  t.notOk(isPodCreate({ ...base, subResource: 'ephemeralcontainers' }));
});
