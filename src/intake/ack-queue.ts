import type { Logger } from "pino";
import { createLeaseKeeper } from "../runs/lease-keeper.ts";

/**
 * Acknowledgements waiting to be made, in arrival order, at most `concurrency` at a time, so a
 * burst of webhooks queues here (each run durable as "received") instead of in front of GitHub's
 * 2xx. While a run waits or is being acknowledged its heartbeat is kept fresh, so recovery in
 * another process leaves it alone; if this process dies, recovery acknowledges it after the lease.
 */

export interface AckQueue {
  submit(runId: number, acknowledge: () => Promise<unknown>): void;
  /** Back to full concurrency (the webhooks have been answered). */
  resume(): void;
  /** Takes nothing new; waits for those in progress (up to the deadline). Waiting ones stay "received" for recovery. */
  stop(deadlineMs: number): Promise<void>;
}

export interface AckQueueOptions {
  concurrency: number;
  /**
   * Webhooks are being received: acknowledge one at a time meanwhile (never none, so a steady
   * stream of deliveries cannot starve them), at full concurrency otherwise. Call resume() when
   * it stops being true.
   */
  busy?: () => boolean;
  heartbeatMs: number;
  heartbeat: (runIds: readonly number[]) => Promise<void>;
  log: Logger;
}

export function createAckQueue(options: AckQueueOptions): AckQueue {
  const waiting: Array<{ runId: number; acknowledge: () => Promise<unknown> }> = [];
  const leases = createLeaseKeeper({ ...options, what: "runs waiting for acknowledgement" });
  let active = 0;
  let stopped = false;
  let idle: (() => void) | null = null;

  const pump = () => {
    const limit = options.busy?.() ? 1 : options.concurrency;
    while (!stopped && active < limit && waiting.length > 0) {
      const next = waiting.shift()!;
      active++;
      next
        .acknowledge()
        .catch((error: unknown) => options.log.error({ err: error, run: next.runId }, "acknowledging a run failed"))
        .finally(() => {
          active--;
          leases.release(next.runId);
          if (active === 0) idle?.();
          pump();
        });
    }
  };

  return {
    submit(runId, acknowledge) {
      if (stopped) return;
      waiting.push({ runId, acknowledge });
      leases.hold(runId);
      pump();
    },
    resume: () => pump(),
    async stop(deadlineMs) {
      stopped = true;
      waiting.length = 0;
      if (active > 0) await Promise.race([new Promise<void>((r) => (idle = r)), new Promise((r) => setTimeout(r, deadlineMs).unref())]);
      leases.stop();
    },
  };
}
