import type { Logger } from "pino";
import type { ExecuteRun, RunQueue } from "../jobs/types.ts";
import type { RunRecord, Store } from "../store/types.ts";
import { HAND_BACK } from "./cancellation.ts";

/**
 * A worker's life (ROLE=worker or all): recover what dead processes left, execute queued runs,
 * reap sandboxes, and on shutdown let running runs finish up to a deadline, then hand the rest
 * back to the queue. It also knows which runs execute here, so a stop aborts one at once.
 */

export interface WorkerOptions {
  /** The queue feeding this worker; it calls `execute` for each run it claims. */
  createQueue: (execute: ExecuteRun) => RunQueue;
  store: Pick<Store, "updateRun">;
  /** One run, to its end (runs/run-job.ts); the signal aborts it. */
  runJob: (run: RunRecord, signal: AbortSignal) => Promise<void>;
  /** What dead processes left behind (runs/recover.ts): resolves to how many runs it took up. */
  recover: (queue: RunQueue) => Promise<number>;
  recoverEveryMs: number;
  /** Starts the reaper (runs/reaper.ts) and returns its stop. */
  startReaper: () => () => void;
  /** False for ROLE=web: nothing executes, recovers or reaps here; the queue only takes runs in. */
  works: boolean;
  log: Logger;
}

export interface Worker {
  queue: RunQueue;
  /** Aborts a run if it executes in this process. */
  cancelLocal(runId: number): void;
  /** Stops a run wherever it executes: at once here, within a poll elsewhere (the store's flag). */
  cancelRun(runId: number): Promise<void>;
  start(): Promise<void>;
  /**
   * Stops recovering and reaping, then `beforeDrain` (what must settle first: acknowledgements),
   * stops taking runs, waits for the running ones up to the deadline and hands the rest back.
   */
  stop(deadlineMs: number, beforeDrain?: () => Promise<void>): Promise<void>;
}

export function createWorker(o: WorkerOptions): Worker {
  // Runs executing in this process: their abort, and their end.
  const executing = new Map<number, { controller: AbortController; done: Promise<void> }>();
  const execute: ExecuteRun = (run) => {
    const controller = new AbortController();
    const done = o.runJob(run, controller.signal).finally(() => executing.delete(run.id));
    executing.set(run.id, { controller, done });
    return done;
  };
  const queue = o.createQueue(execute);
  const recover = () =>
    o.recover(queue).catch((error: unknown) => {
      o.log.error({ err: error }, "could not recover interrupted runs; will try again");
      return 0;
    });
  let recovery: NodeJS.Timeout | null = null;
  let stopReaper: (() => void) | null = null;
  const cancelLocal = (runId: number) => executing.get(runId)?.controller.abort();

  return {
    queue,
    cancelLocal,
    async cancelRun(runId) {
      await o.store.updateRun(runId, { cancelRequested: true });
      cancelLocal(runId);
    },
    async start() {
      if (!o.works) return;
      const recovered = await recover();
      if (recovered > 0) o.log.warn({ recovered }, "runs interrupted by a dead process were queued again");
      await queue.start();
      recovery = setInterval(() => void recover(), o.recoverEveryMs);
      recovery.unref();
      stopReaper = o.startReaper();
    },
    async stop(deadlineMs, beforeDrain) {
      if (recovery) clearInterval(recovery);
      stopReaper?.();
      await beforeDrain?.();
      if (!o.works) return;
      // Stop taking runs now; wait for the running ones up to the deadline.
      const drained = queue.stop(deadlineMs + 10_000);
      await settledBy(executing, Date.now() + deadlineMs);
      for (const [runId, { controller }] of executing) {
        o.log.warn({ run: runId }, "shutdown deadline passed: handing the run back to the queue");
        await o.store.updateRun(runId, { state: "queued" }).catch(() => undefined);
        controller.abort(HAND_BACK);
      }
      // The handed-back runs stop their processes and pause their sandboxes before the store closes.
      await drained;
    },
  };
}

/** Until every run executing here has ended (runs the queue starts meanwhile included), or the deadline. */
async function settledBy(executing: Map<number, { done: Promise<void> }>, deadline: number): Promise<void> {
  while (executing.size > 0) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, left);
    });
    await Promise.race([Promise.allSettled([...executing.values()].map((run) => run.done)), timeUp]);
    clearTimeout(timer);
  }
}
