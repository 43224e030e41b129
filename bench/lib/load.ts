import { randomUUID } from "node:crypto";
import { signPayload } from "../../test/support/webhooks.ts";

/**
 * The load generator: webhook deliveries built and signed ahead of time (so building them costs
 * nothing inside a timed window), POSTed like GitHub does, with a bound on how many are in flight.
 */

export interface Delivery {
  event: string;
  id: string;
  body: string;
  signature: string;
}

export function prepareDelivery(built: { event: string; payload: unknown }, secret: string): Delivery {
  const body = JSON.stringify(built.payload);
  return { event: built.event, id: randomUUID(), body, signature: signPayload(body, secret) };
}

export async function postDelivery(url: string, d: Delivery): Promise<number> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/bench",
      "x-github-event": d.event,
      "x-github-delivery": d.id,
      "x-github-hook-id": "1",
      "x-github-hook-installation-target-type": "integration",
      "x-hub-signature-256": d.signature,
    },
    body: d.body,
  });
  await res.arrayBuffer();
  return res.status;
}

export interface ClosedLoopResult {
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  perSecond: number;
  /** Response time of each delivery, ms. */
  latencies: number[];
}

/**
 * Closed loop: `concurrency` senders, each POSTing its next delivery as soon as the last one was
 * answered, until the source runs dry or `durationMs` has passed (then the ones in flight finish).
 * The rate is what the server sustains.
 */
export async function closedLoop(url: string, source: () => Delivery | undefined, concurrency: number, durationMs = Infinity): Promise<ClosedLoopResult> {
  let ok = 0;
  let failed = 0;
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const started = performance.now();
  const worker = async () => {
    while (performance.now() - started < durationMs) {
      const d = source();
      if (!d) return;
      const t0 = performance.now();
      const status = await postDelivery(url, d).catch(() => 0);
      latencies.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) ok++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - started;
  return { ok, failed, statuses, elapsedMs, perSecond: (ok * 1000) / elapsedMs, latencies };
}

/** Each delivery once, in order. */
export function once(list: readonly Delivery[]): () => Delivery | undefined {
  let i = 0;
  return () => list[i++];
}

/** The list over and over (for a server that does not dedupe). */
export function cycle(list: readonly Delivery[]): () => Delivery | undefined {
  let i = 0;
  return () => list[i++ % list.length];
}
