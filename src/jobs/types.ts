import type { RunRecord } from "../store/types.ts";

/**
 * Where queued runs wait for a worker. Embedded mode: the runs table itself, polled by an
 * in-process pool. Postgres mode: pg-boss. Either way one run per thread at a time, in order.
 */
export interface RunQueue {
  /** The run is "queued" in the store: make sure a worker picks it up. */
  enqueue(run: RunRecord): Promise<void>;
  /** Starts executing queued runs in this process (ROLE=worker or all). */
  start(): Promise<void>;
  /** Stops taking runs, waits for running ones up to deadlineMs; whatever is still running is returned to the queue by recovery. */
  stop(deadlineMs?: number): Promise<void>;
  /** Runs executing in this process now. */
  readonly active: number;
}

/** Executes one claimed run (state "running"); never rejects for a failed run, only for a bug. */
export type ExecuteRun = (run: RunRecord) => Promise<void>;
