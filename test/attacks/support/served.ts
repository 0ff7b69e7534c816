// `serve` in a child process as the attacks run it: standalone, on free loopback ports,
// with a generated certificate whose CA is read back, and ready (/readyz 200). Stopped and
// its folder removed when the test ends.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { getJson, ServeChild } from '../../server/support/child.js';
import { waitFor } from '../../server/support/harness.js';

export interface Served {
  child: ServeChild;
  ports: { webhook: number; metrics: number };
  /** The CA of the webhook's certificate (PEM). */
  ca: string;
}

/** `flags` and `nodeFlags` are added to the common ones; `readyMs` bounds the wait for /readyz. */
export async function served(
  t: Test, options: ConstructorParameters<typeof ServeChild>[0], flags: string[], nodeFlags: string[] = [], readyMs?: number,
): Promise<Served> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-attack-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const caOut = path.join(dir, 'ca.crt');
  const child = new ServeChild(options, [
    '--port', '0', '--metrics-port', '0', '--address', '127.0.0.1', '--standalone', '--ca-out', caOut, ...flags,
  ], nodeFlags);
  t.teardown(() => child.kill());
  const ports = await child.ports();
  await waitFor('ready', async () => { const r = await getJson(ports.metrics, '/readyz'); return 'status' in r && r.status === 200; }, readyMs);
  return { child, ports, ca: readFileSync(caOut, 'utf8') };
}
