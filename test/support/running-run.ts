import { expect } from "vitest";
import type { Store } from "../../src/store/types.ts";
import type { Trigger } from "../../src/triggers/types.ts";

/** A run of the thread, claimed as "running" (what the reaper reads as the thread's live run). */
export async function startRun(store: Store, threadKey: string) {
  const run = await store.createRun({ threadKey, deliveryId: `d-${threadKey}-${Math.random()}`, trigger: { installationId: 1, repo: { fullName: "o/r" } } as unknown as Trigger });
  await store.updateRun(run.id, { state: "queued" });
  const claimed = await store.claimNextRun();
  expect(claimed?.id).toBe(run.id);
  return claimed!;
}
