import type { Logger } from "pino";
import type { RunQueue } from "../jobs/types.ts";
import type { RunRecord, Store } from "../store/types.ts";

/**
 * At start-up and then periodically, runs a dead process left behind (no heartbeat within the
 * lease): "received" ones (recorded, never acknowledged) are claimed and acknowledged here —
 * permission check included, so nothing skips it — and interrupted ones go back to the queue to
 * be retried (run-job gives up after MAX_ATTEMPTS and reports the failure, so the comment is
 * always finished). Every queued run is offered to the queue again: claiming is idempotent, so a
 * run the queue already holds is not run twice.
 */
export const MAX_ATTEMPTS = 2;

export async function recoverUnfinished(store: Store, queue: RunQueue, log: Logger, leaseMs: number, acknowledge: (run: RunRecord) => void): Promise<number> {
  const staleBefore = new Date(Date.now() - leaseMs).toISOString();
  const unfinished = await store.listUnfinished(staleBefore);
  let recovered = 0;
  for (const run of unfinished) {
    if (run.state === "received") {
      if (!(await store.claimReceived(run.id, staleBefore))) continue;
      log.warn({ run: run.id }, "acknowledging a run whose process died before it could");
      acknowledge(run);
    } else {
      log.warn({ run: run.id, state: run.state, attempts: run.attempts }, "re-queueing a run interrupted by a restart");
      await store.updateRun(run.id, { state: "queued" });
    }
    recovered++;
  }
  for (const run of await store.listRuns({ states: ["queued"], limit: 10_000 })) await queue.enqueue(run);
  return recovered;
}
