// The one moment a request stops holding anything, whichever way it ends: its response
// finished or closed, the request errored or was aborted, or its socket closed. A
// pipelined request whose response is still queued behind another never gets its
// response's 'close' when the socket is destroyed (Node only closes the response that
// owns the socket), so the socket's own 'close' is watched too.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The callbacks waiting for a response's end: one set of listeners serves them all. */
const waiting = new WeakMap<ServerResponse, Array<() => void>>();

/** Calls `done` exactly once, when the request has ended by any path. */
export function onRequestEnd(req: IncomingMessage, res: ServerResponse, done: () => void): void {
  const callbacks = waiting.get(res);
  if (callbacks) {
    callbacks.push(done);
    return;
  }
  const socket = req.socket;
  const all = [done];
  waiting.set(res, all);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    waiting.delete(res);
    // A keep-alive socket serves many requests: leave no listener behind on it.
    socket?.off('close', end);
    res.off('close', end);
    res.off('finish', end);
    req.off('error', end);
    req.off('aborted', end);
    for (const callback of all) callback();
  };
  res.once('close', end);
  res.once('finish', end);
  req.once('error', end);
  req.once('aborted', end);
  if (!socket || socket.destroyed) end();
  else socket.once('close', end);
}
