// @ts-check
// The floor the decided stack sets (issue 15): fastify 5 over HTTPS (the same TLS minimum
// and keep-alive as the injector, no logger), one POST route with fastify's own JSON parser, answering
// what baseline-server.js answers: the review's uid, and with "patch" that JSONPatch.
// Nothing else: no logging, metrics, limits or admission. Its ratio to the bare floor is
// the most any fastify server answering these bytes can reach on this machine.
// Usage: node fastify-floor-server.js '{"cert":"FILE","key":"FILE","patch":"BASE64"?}'
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const { cert, key, patch } = JSON.parse(process.argv[2]);
const patchFields = patch ? { patchType: 'JSONPatch', patch } : {};
const app = Fastify({
  logger: false,
  keepAliveTimeout: 120_000,
  https: { cert: readFileSync(cert), key: readFileSync(key), minVersion: 'TLSv1.2' },
});
app.post('/inject', async (request, reply) => {
  const review = /** @type {{ apiVersion?: string, request?: { uid?: string } }} */ (request.body);
  reply.header('content-type', 'application/json; charset=utf-8');
  return JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request?.uid, allowed: true, ...patchFields } });
});
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: Number(new URL(address).port) })}\n`);
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)); });
