// Every socket of the webhook server and the requests in flight on them, for shutdown.
// Node's close() and closeIdleConnections() only know connections that have reached the
// HTTP parser: a TLS connection still in its handshake, or one that finished it and never
// sent a request (the apiserver's client leaves such spares), would hold close() open
// until the deadline. Once no request is in flight, those can go without losing anything.
import type { Server, Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { onRequestEnd } from './request-end.js';

interface Tracked {
  sockets: Set<Socket>;
  inFlight: number;
  onIdle?: () => void;
}

const tracked = new WeakMap<Server, Tracked>();

/** Starts counting; call before the server listens. */
export function trackConnections(server: Server): void {
  const state: Tracked = { sockets: new Set(), inFlight: 0 };
  tracked.set(server, state);
  server.on('connection', (socket: Socket) => {
    state.sockets.add(socket);
    socket.once('close', () => state.sockets.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    state.inFlight++;
    onRequestEnd(req, res, () => {
      state.inFlight--;
      if (state.inFlight === 0) state.onIdle?.();
    });
  });
}

/**
 * Resolves once no request is in flight, then destroys every remaining socket (idle
 * keep-alive spares, unfinished handshakes). Call after the listener stopped accepting.
 */
export async function closeWhenIdle(server: Server): Promise<void> {
  const state = tracked.get(server);
  if (!state) return;
  // fastify's close() reaches server.close() after its hooks: until then, new sockets come.
  while (server.listening) await nextTurn();
  return new Promise((resolve) => {
    const finish = () => {
      state.onIdle = undefined;
      for (const socket of state.sockets) socket.destroy();
      resolve();
    };
    if (state.inFlight === 0) finish();
    else state.onIdle = finish;
  });
}
