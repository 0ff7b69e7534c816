// A cap on the connections one remote address holds open at once. A connection over the
// cap is closed as soon as it is accepted, before any TLS work, so a single misbehaving
// client can use neither all file descriptors nor all the event loop's time on handshakes.
// The apiserver keeps up to 25 idle connections per webhook host and opens more while
// calls are in flight, so the cap must stay well above 25.
import type { Server, Socket } from 'node:net';

export interface ConnectionLimit {
  /** Open connections from this address now (tests and metrics). */
  openFrom(address: string): number;
  /** Addresses with at least one open connection. */
  readonly clients: number;
}

export function limitConnectionsPerClient(server: Server, max: number, onRefused?: (address: string) => void): ConnectionLimit {
  const open = new Map<string, number>();
  if (max > 0) {
    // First in line, so a refused socket reaches neither TLS nor HTTP.
    server.prependListener('connection', (socket: Socket) => {
      const address = socket.remoteAddress ?? 'unknown';
      const count = open.get(address) ?? 0;
      if (count >= max) {
        onRefused?.(address);
        socket.destroy();
        return;
      }
      open.set(address, count + 1);
      socket.once('close', () => {
        const left = (open.get(address) ?? 1) - 1;
        if (left > 0) open.set(address, left);
        else open.delete(address);
      });
    });
  }
  return {
    openFrom: (address) => open.get(address) ?? 0,
    get clients() { return open.size; },
  };
}
