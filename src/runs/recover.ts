import type { Logger } from "pino";
import type { Store } from "../store/types.ts";

/**
 * At start-up, runs a dead process left behind go back to the queue: acknowledged-but-not-queued
 * ones as they are, interrupted ones once (a second interruption marks them failed; the worker's
 * report step is what updates their comment, so a failed one is queued for reporting too).
 */
export const MAX_ATTEMPTS = 2;

export async function recoverUnfinished(store: Store, log: Logger): Promise<number> {
  const unfinished = await store.listUnfinished();
  for (const run of unfinished) {
    log.warn({ run: run.id, state: run.state, attempts: run.attempts }, "re-queueing a run interrupted by a restart");
    await store.updateRun(run.id, { state: "queued" });
  }
  return unfinished.length;
}
