// Encoding answers: the request's version, uid echoed, base64 JSONPatch, warnings, Status.
import t from 'tap';
import { allowUnchanged, deny, encodeResponse, responseJson } from '../../src/admission/response.js';
import { LABEL_PATCH } from '../server/support/harness.js';

t.test('an injection carries a base64 JSONPatch in the request version', async (t) => {
  for (const version of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const) {
    const out = encodeResponse(version, 'uid-1', { allowed: true, patch: LABEL_PATCH, warnings: ['careful'] });
    t.equal(out.apiVersion, version);
    t.equal(out.kind, 'AdmissionReview');
    t.equal(out.response.uid, 'uid-1');
    t.equal(out.response.allowed, true);
    t.equal(out.response.patchType, 'JSONPatch');
    t.same(JSON.parse(Buffer.from(out.response.patch!, 'base64').toString('utf8')), LABEL_PATCH);
    t.same(out.response.warnings, ['careful']);
    t.equal(out.response.status, undefined);
  }
});

t.test('an unchanged pod has no patch fields and no empty warnings', async (t) => {
  const out = encodeResponse('admission.k8s.io/v1', 'u', allowUnchanged());
  t.same(out.response, { uid: 'u', allowed: true });
  t.same(encodeResponse('admission.k8s.io/v1', 'u', { allowed: true, patch: [] }).response, { uid: 'u', allowed: true });
});

t.test('a denial carries a Status and no patch, even if one was given', async (t) => {
  const verdict = { ...deny(400, 'BadRequest', 'sidecar-injector.io/proxy-cpu: "lots" is not a quantity', ['w']), patch: LABEL_PATCH };
  const out = encodeResponse('admission.k8s.io/v1beta1', 'u2', verdict);
  t.same(out.response, {
    uid: 'u2', allowed: false, warnings: ['w'],
    status: { code: 400, reason: 'BadRequest', message: 'sidecar-injector.io/proxy-cpu: "lots" is not a quantity' },
  });
});

t.test('the JSON text of an answer parses back to the answer', async (t) => {
  const answers = [
    encodeResponse('admission.k8s.io/v1', 'u"1\\', { allowed: true, patch: LABEL_PATCH, warnings: ['a "quoted" warning', '"patch":""'] }),
    encodeResponse('admission.k8s.io/v1beta1', 'u2', { allowed: true, patch: LABEL_PATCH }),
    encodeResponse('admission.k8s.io/v1', 'u3', allowUnchanged(['w'])),
    encodeResponse('admission.k8s.io/v1', 'u4', deny(400, 'BadRequest', 'no')),
  ];
  for (const answer of answers) t.same(JSON.parse(responseJson(answer)), answer, answer.response.uid);
});
