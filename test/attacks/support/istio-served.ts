// `serve --profile istio` as the istio attacks run it (namespaces labelled
// istio-injection=enabled), and one admission over its real TLS socket: the answer, its
// patch decoded, and the server's own time for it, read from the admission's log line.
import https from 'node:https';
import type { Test } from 'tap';
import { postReview } from '../../server/support/child.js';
import { fixture, waitFor } from '../../server/support/harness.js';
import { served } from './served.js';

export interface PatchOp { op: string; path: string; value?: unknown }

export interface TimedAdmission {
  response: { allowed: boolean; patch?: string };
  /** The decoded JSONPatch; empty when the answer has none. */
  patch: PatchOp[];
  /** durationMs of the admission's log line: the server's time, not the socket's. */
  serverMs: number;
}

/** The review all the attacks start from (fixture 01), to be given a hostile pod; `uid` names it in the log. */
export function baseReview(uid: string): { request: { uid: string; object: Record<string, any> } } {
  const review = JSON.parse(fixture('01-').text);
  review.request.uid = uid;
  return review;
}

/** Serves the istio profile until `t` ends; returns how to send it one review. */
export async function istioServed(t: Test): Promise<(review: { request: { uid: string } }) => Promise<TimedAdmission>> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const { child, ports, ca } = await served(t, { realEngine: true }, ['--profile', 'istio', '--namespace-labels', 'istio-injection=enabled'], [], 60_000);
  return async (review) => {
    const { review: answer } = await postReview(ports.webhook, ca, JSON.stringify(review), agent);
    const { response } = answer as { response: TimedAdmission['response'] };
    const patch = response.patch ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as PatchOp[] : [];
    const [line] = await waitFor(`the log line of admission ${review.request.uid}`, () => {
      const found = child.logs.filter((l) => l.msg === 'admission' && l.uid === review.request.uid);
      return found.length >= 1 && found;
    });
    return { response, patch, serverMs: Number(line.durationMs) };
  };
}
