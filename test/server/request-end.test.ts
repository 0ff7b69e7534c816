// onRequestEnd fires exactly once whichever way a request ends, and leaves no listener on
// a keep-alive socket that goes on serving.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { onRequestEnd } from '../../src/server/request-end.js';
import { waitFor } from './support/harness.js';

async function server(t: { teardown(fn: () => unknown): void }, handle: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const ended: string[] = [];
  const seen: http.IncomingMessage[] = [];
  const srv = http.createServer((req, res) => {
    seen.push(req);
    onRequestEnd(req, res, () => ended.push(req.url!));
    handle(req, res);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.teardown(() => { srv.closeAllConnections(); srv.close(); });
  return { port: (srv.address() as net.AddressInfo).port, ended, seen };
}

t.test('answered requests on one keep-alive socket each end once, no listener piles up', async (t) => {
  const { port, ended, seen } = await server(t, (_req, res) => res.end('ok'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((resolve) => http.get({ port, host: '127.0.0.1', path: `/${i}`, agent }, (res) => res.resume().on('end', resolve)));
  }
  await waitFor('20 ends', () => ended.length === 20);
  t.same(ended, Array.from({ length: 20 }, (_, i) => `/${i}`));
  const socket = seen[0]!.socket;
  t.ok(seen.every((req) => req.socket === socket), 'one socket served them');
  t.ok(socket.listenerCount('close') < 5, `the socket keeps no listener per request (${socket.listenerCount('close')})`);
});

t.test('a request cut off mid-body and pipelined requests on a destroyed socket end once each', async (t) => {
  const { port, ended, seen } = await server(t, (req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('late'), 200); // holds the queue behind it
  });
  const pipelined = net.connect({ port, host: '127.0.0.1' }, () => {
    pipelined.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  const cut = net.connect({ port, host: '127.0.0.1' }, () => cut.write('POST /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789'));
  await waitFor('four requests parsed', () => seen.length === 4);
  t.equal(ended.length, 0, 'none has ended yet');
  pipelined.destroy();
  cut.destroy();
  await waitFor('all four ended', () => ended.length === 4);
  t.same([...ended].sort(), ['/a', '/b', '/cut', '/slow']);
});
