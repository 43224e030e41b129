import type { Logger } from "pino";
import type { RunRecord, Store } from "../store/types.ts";

/**
 * The embedded queue: runs are rows in the store; this pool claims them (one per thread at a time,
 * in arrival order) and executes up to `concurrency` at once. A poll catches work enqueued by
 * another process sharing the database, and anything a notify() was missed for.
 */

export interface EmbeddedWorkerOptions {
  store: Store;
  concurrency: number;
  execute: (run: RunRecord) => Promise<void>;
  log: Logger;
  pollIntervalMs?: number;
}

export interface Worker {
  start(): void;
  /** New work was enqueued: look now rather than at the next poll. */
  notify(): void;
  /** Stops claiming, then waits for running jobs (up to deadlineMs). */
  stop(deadlineMs?: number): Promise<void>;
  readonly active: number;
}

export function createEmbeddedWorker(o: EmbeddedWorkerOptions): Worker {
  const running = new Set<Promise<void>>();
  let stopped = true;
  let pumping = false;
  let again = false;
  let timer: NodeJS.Timeout | null = null;

  const pump = async (): Promise<void> => {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        while (!stopped && running.size < o.concurrency) {
          const run = await o.store.claimNextRun();
          if (!run) break;
          const job = o
            .execute(run)
            .catch((error: unknown) => o.log.error({ err: error, run: run.id }, "run crashed outside its own error handling"))
            .finally(() => {
              running.delete(job);
              void pump().catch((error: unknown) => o.log.error({ err: error }, "queue pump failed"));
            });
          running.add(job);
        }
      } while (again && !stopped);
    } finally {
      pumping = false;
    }
  };

  const kick = () => void pump().catch((error: unknown) => o.log.error({ err: error }, "queue pump failed"));

  return {
    start() {
      stopped = false;
      timer = setInterval(kick, o.pollIntervalMs ?? 1000);
      timer.unref();
      kick();
    },
    notify: kick,
    async stop(deadlineMs = 30_000) {
      stopped = true;
      if (timer) clearInterval(timer);
      const all = Promise.allSettled([...running]);
      await Promise.race([all, new Promise((resolve) => setTimeout(resolve, deadlineMs).unref())]);
    },
    get active() {
      return running.size;
    },
  };
}
