// @ts-check
// The floor Node.js itself sets: an HTTPS server (same certificate type and TLS minimum
// as the injector, keep-alive) that reads the body, JSON.parses it and answers
// `allowed: true` with the request's uid. Prints {"port":N} once listening.
// With "patch" (a base64 JSONPatch), every answer carries it: the same floor, answering
// as many bytes as the injector does.
// Usage: node baseline-server.js '{"cert":"FILE","key":"FILE","patch":"BASE64"?}'
import https from 'node:https';
import { readFileSync } from 'node:fs';

const { cert, key, patch } = JSON.parse(process.argv[2]);
const patchFields = patch ? { patchType: 'JSONPatch', patch } : {};
const server = https.createServer({ cert: readFileSync(cert), key: readFileSync(key), minVersion: 'TLSv1.2' }, (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let review;
    try {
      review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid json"}');
      return;
    }
    const body = JSON.stringify({
      apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request?.uid, allowed: true, ...patchFields },
    });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
// Same idle timeout as the injector (above the apiserver's 90 s).
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: /** @type {import('node:net').AddressInfo} */ (server.address()).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
