import type { Logger } from "pino";
import { createLeaseKeeper } from "../runs/lease-keeper.ts";
import type { RunRecord, Store } from "../store/types.ts";
import type { ExecuteRun, RunQueue } from "./types.ts";

/**
 * The embedded queue: runs are rows in the store; this pool claims them (one per thread at a time,
 * in arrival order; across installations the least busy first, see store.claimNextRun) and
 * executes up to `concurrency` at once. A poll catches work enqueued by
 * another process sharing the database, and anything a notify() was missed for.
 */

export interface EmbeddedWorkerOptions {
  store: Store;
  concurrency: number;
  execute: ExecuteRun;
  log: Logger;
  pollIntervalMs?: number;
  /** How often running runs' leases are renewed (store.heartbeat). */
  heartbeatMs: number;
  /** MAX_RUNS_PER_INSTALLATION: one installation's running runs, at most (0 or unset: no cap). */
  maxRunsPerInstallation?: number;
}

export function createEmbeddedQueue(o: EmbeddedWorkerOptions): RunQueue {
  const running = new Set<Promise<void>>();
  const leases = createLeaseKeeper({ heartbeat: (ids) => o.store.heartbeat(ids), heartbeatMs: o.heartbeatMs, log: o.log, what: "running runs" });
  let stopped = true;
  let timer: NodeJS.Timeout | null = null;

  const kick = () => void pump().catch((error: unknown) => o.log.error({ err: error }, "queue pump failed"));
  const launch = (run: RunRecord) => {
    leases.hold(run.id);
    const job: Promise<void> = o
      .execute(run)
      .catch((error: unknown) => o.log.error({ err: error, run: run.id }, "run crashed outside its own error handling"))
      .finally(() => {
        running.delete(job);
        leases.release(run.id);
        kick();
      });
    running.add(job);
  };
  const pump = coalesced(async () => {
    while (!stopped && running.size < o.concurrency) {
      const run = await o.store.claimNextRun({ maxPerInstallation: o.maxRunsPerInstallation });
      if (!run) break;
      launch(run);
    }
  });

  return {
    async start() {
      stopped = false;
      timer = setInterval(kick, o.pollIntervalMs ?? 1000);
      timer.unref();
      kick();
    },
    // The row is already queued in the store: just look now rather than at the next poll.
    async enqueue() {
      kick();
    },
    async stop(deadlineMs = 30_000) {
      stopped = true;
      if (timer) clearInterval(timer);
      leases.stop();
      const all = Promise.allSettled([...running]);
      await Promise.race([all, new Promise((resolve) => setTimeout(resolve, deadlineMs).unref())]);
    },
    get active() {
      return running.size;
    },
  };
}

/** fn, never twice at once: a call while it runs has it run once more afterwards, so no wake-up is lost. */
function coalesced(fn: () => Promise<void>): () => Promise<void> {
  let busy = false;
  let again = false;
  return async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        await fn();
      } while (again);
    } finally {
      busy = false;
    }
  };
}
