import type { Logger } from "pino";
import type { RunQueue } from "../jobs/types.ts";
import type { Store } from "../store/types.ts";

/**
 * At start-up and then periodically, runs a dead process left behind (no heartbeat within the
 * lease) go back to the queue: acknowledged-but-not-queued
 * ones as they are, interrupted ones to be retried (run-job gives up after MAX_ATTEMPTS and
 * reports the failure, so the comment is always finished). Every queued run is offered to the
 * queue again: claiming is idempotent, so a run the queue already holds is not run twice.
 */
export const MAX_ATTEMPTS = 2;

export async function recoverUnfinished(store: Store, queue: RunQueue, log: Logger, leaseMs: number): Promise<number> {
  const unfinished = await store.listUnfinished(new Date(Date.now() - leaseMs).toISOString());
  for (const run of unfinished) {
    log.warn({ run: run.id, state: run.state, attempts: run.attempts }, "re-queueing a run interrupted by a restart");
    await store.updateRun(run.id, { state: "queued" });
  }
  for (const run of await store.listRuns({ states: ["queued"], limit: 10_000 })) await queue.enqueue(run);
  return unfinished.length;
}
