import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import type { Store } from "../../src/store/types.ts";
import type { Trigger } from "../../src/triggers/types.ts";

const trigger = (n: number) => ({ kind: "issue_comment", issue: { number: n } }) as unknown as Trigger;

describe("SQLite store (a real file)", () => {
  let dir: string;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "csb-store-"));
    store = openSqliteStore(join(dir, "nested", "bot.db"));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("records each delivery id once", async () => {
    expect(await store.recordDelivery("d-1", "issue_comment")).toBe(true);
    expect(await store.recordDelivery("d-1", "issue_comment")).toBe(false);
    expect(await store.recordDelivery("d-2", "issue_comment")).toBe(true);
  });

  it("keeps thread state across reopening the file", async () => {
    await store.saveThread({ key: "a/b#1", repoFullName: "a/b", number: 1, branch: "claude/issue-1", prNumber: 7, sessionId: "s", transcript: "{}\n" });
    await store.close();
    store = openSqliteStore(join(dir, "nested", "bot.db"));
    expect(await store.getThread("a/b#1")).toMatchObject({ branch: "claude/issue-1", prNumber: 7, sessionId: "s", transcript: "{}\n" });
    expect(await store.getThread("a/b#2")).toBeNull();
  });

  it("claims one run per thread at a time, in arrival order", async () => {
    const a1 = await store.createRun({ threadKey: "t#1", deliveryId: "1", trigger: trigger(1) });
    const a2 = await store.createRun({ threadKey: "t#1", deliveryId: "2", trigger: trigger(1) });
    const b1 = await store.createRun({ threadKey: "t#2", deliveryId: "3", trigger: trigger(2) });
    // "received" runs are not claimable until acknowledged and queued, and they hold back later ones.
    expect(await store.claimNextRun()).toBeNull();
    for (const r of [a1, a2, b1]) await store.updateRun(r.id, { state: "queued" });

    const first = await store.claimNextRun();
    const second = await store.claimNextRun();
    expect([first?.id, second?.id]).toEqual([a1.id, b1.id]);
    expect(first).toMatchObject({ state: "running", attempts: 1, trigger: trigger(1) });
    expect(await store.claimNextRun()).toBeNull();

    await store.updateRun(a1.id, { state: "succeeded", result: { outcome: "done" } });
    expect((await store.claimNextRun())?.id).toBe(a2.id);
    expect((await store.getRun(a1.id))?.result).toEqual({ outcome: "done" });
  });

  it("lists runs a dead process left unfinished", async () => {
    const r1 = await store.createRun({ threadKey: "t#1", deliveryId: "1", trigger: trigger(1) });
    const r2 = await store.createRun({ threadKey: "t#2", deliveryId: "2", trigger: trigger(2) });
    await store.updateRun(r2.id, { state: "queued" });
    await store.claimNextRun();
    expect((await store.listUnfinished()).map((r) => [r.id, r.state])).toEqual([
      [r1.id, "received"],
      [r2.id, "running"],
    ]);
  });
});
