import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/types.ts";
import type { Trigger } from "../../src/triggers/types.ts";

/**
 * The behaviour every Store must have, run against each implementation on a real database.
 * `open` gives a store on an empty database; `reopen` (optional) a second connection to the same one.
 */
export function storeContract(name: string, open: () => Promise<Store>, reopen?: () => Promise<Store>) {
  const trigger = (repo: string, n: number, installationId = 7) =>
    ({ kind: "issue_comment", installationId, repo: { fullName: repo }, issue: { number: n } }) as unknown as Trigger;

  describe(`${name}: the Store contract`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it("records each delivery id once", async () => {
      expect(await store.recordDelivery("d-1", "issue_comment")).toBe(true);
      expect(await store.recordDelivery("d-1", "issue_comment")).toBe(false);
      expect(await store.recordDelivery("d-2", "issue_comment")).toBe(true);
    });

    it("accepts one run per triggering object: the same comment under a second delivery id gets none", async () => {
      const object = "object:issue_comment:777:created";
      expect(await store.acceptRun({ threadKey: "t#9", deliveryId: "d-obj-1", trigger: trigger("o/r", 9) }, "issue_comment", object)).not.toBeNull();
      expect(await store.acceptRun({ threadKey: "t#9", deliveryId: "d-obj-2", trigger: trigger("o/r", 9) }, "issue_comment", object)).toBeNull();
      const raced = await Promise.all(["d-obj-3", "d-obj-4"].map((id) => store.acceptRun({ threadKey: "t#8", deliveryId: id, trigger: trigger("o/r", 8) }, "issue_comment", "object:review:5:submitted")));
      expect(raced.filter((r) => r !== null)).toHaveLength(1);
      expect(await store.acceptRun({ threadKey: "t#9", deliveryId: "d-obj-5", trigger: trigger("o/r", 9) }, "issue_comment", "object:issue_comment:778:created")).not.toBeNull();
    });

    it("accepts a webhook's run together with its delivery, once per delivery id", async () => {
      const first = await store.acceptRun({ threadKey: "t#1", deliveryId: "d-1", trigger: trigger("o/r", 1) }, "issue_comment");
      expect(first).toMatchObject({ state: "received", deliveryId: "d-1", threadKey: "t#1" });
      expect(await store.acceptRun({ threadKey: "t#1", deliveryId: "d-1", trigger: trigger("o/r", 1) }, "issue_comment")).toBeNull();
      expect(await store.recordDelivery("d-1", "issue_comment")).toBe(false);
      expect(await store.listRuns({})).toHaveLength(1);
      // A delivery recorded some other way (a command) also stops a run being accepted for it.
      expect(await store.recordDelivery("d-2", "issue_comment")).toBe(true);
      expect(await store.acceptRun({ threadKey: "t#1", deliveryId: "d-2", trigger: trigger("o/r", 1) }, "issue_comment")).toBeNull();
      // Accepted at the same moment (one commit for the SQLite store, racing transactions on
      // PostgreSQL): exactly one of the two copies wins, and each caller gets its own answer.
      const same = await Promise.all(["d-3", "d-3", "d-4"].map((id, i) => store.acceptRun({ threadKey: `t#${i}`, deliveryId: id, trigger: trigger("o/r", i) }, "issue_comment")));
      expect(same.slice(0, 2).filter((r) => r !== null).map((r) => r!.deliveryId)).toEqual(["d-3"]);
      expect(await store.getRun(same[2]!.id)).toMatchObject({ state: "received", threadKey: "t#2", deliveryId: "d-4" });
      expect((await store.listRuns({})).map((r) => r.deliveryId).sort()).toEqual(["d-1", "d-3", "d-4"]);
    });

    it("discards only runs still received, and a received run holds its thread's place until then", async () => {
      const a = (await store.acceptRun({ threadKey: "t#1", deliveryId: "a", trigger: trigger("o/r", 1) }, "issue_comment"))!;
      const b = (await store.acceptRun({ threadKey: "t#1", deliveryId: "b", trigger: trigger("o/r", 1) }, "issue_comment"))!;
      // b is acknowledged first, but a (older, still received) keeps it from being claimed.
      await store.updateRun(b.id, { state: "queued" });
      expect(await store.claimNextRun()).toBeNull();
      await store.discardRun(a.id);
      expect(await store.getRun(a.id)).toBeNull();
      expect((await store.claimNextRun())?.id).toBe(b.id);
      await store.discardRun(b.id);
      expect(await store.getRun(b.id)).toMatchObject({ state: "running" });
    });

    it("lets exactly one process claim a received run whose acknowledger went quiet", async () => {
      const run = (await store.acceptRun({ threadKey: "t#1", deliveryId: "a", trigger: trigger("o/r", 1) }, "issue_comment"))!;
      const past = new Date(Date.now() - 60_000).toISOString();
      expect(await store.claimReceived(run.id, past)).toBe(false);
      await new Promise((r) => setTimeout(r, 20));
      const staleBefore = new Date().toISOString();
      expect((await store.listUnfinished(staleBefore)).map((r) => r.id)).toEqual([run.id]);
      const claims = await Promise.all([store.claimReceived(run.id, staleBefore), store.claimReceived(run.id, staleBefore)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      // The claim is a heartbeat: the run is no longer stale for the same cut-off.
      expect(await store.listUnfinished(staleBefore)).toEqual([]);
    });

    it("keeps thread state, across connections too", async () => {
      await store.saveThread({ key: "a/b#1", repoFullName: "a/b", number: 1, kind: "issue", branch: "claude/issue-1", prNumber: 7, sessionId: "s", transcript: "{}\n", sandboxId: "sbx" });
      await store.saveThread({ key: "a/b#1", repoFullName: "a/b", number: 1, kind: "issue", branch: "claude/issue-1", prNumber: 8, sessionId: "s2", transcript: "{}\n{}\n", sandboxId: null });
      const other = reopen ? await reopen() : store;
      expect(await other.getThread("a/b#1")).toMatchObject({ kind: "issue", branch: "claude/issue-1", prNumber: 8, sessionId: "s2", transcript: "{}\n{}\n", sandboxId: null });
      expect(await other.getThread("a/b#2")).toBeNull();
      if (other !== store) await other.close();
    });

    it("keeps a thread's model and pending plan, and clears them when saved without", async () => {
      const thread = { key: "a/b#3", repoFullName: "a/b", number: 3, kind: "issue" as const, branch: "claude/issue-3", prNumber: null, sessionId: "s", transcript: "{}\n", sandboxId: null };
      await store.saveThread({ ...thread, model: "opus", plan: "- [ ] step one" });
      const other = reopen ? await reopen() : store;
      expect(await other.getThread("a/b#3")).toMatchObject({ model: "opus", plan: "- [ ] step one" });
      await store.saveThread({ ...thread, model: "opus", plan: null });
      expect(await other.getThread("a/b#3")).toMatchObject({ model: "opus", plan: null });
      await store.saveThread(thread);
      expect(await other.getThread("a/b#3")).toMatchObject({ model: null, plan: null });
      if (other !== store) await other.close();
    });

    it("claims one run per thread at a time, in arrival order", async () => {
      const a1 = await store.createRun({ threadKey: "t#1", deliveryId: "1", trigger: trigger("o/r", 1) });
      const a2 = await store.createRun({ threadKey: "t#1", deliveryId: "2", trigger: trigger("o/r", 1) });
      const b1 = await store.createRun({ threadKey: "t#2", deliveryId: "3", trigger: trigger("o/r", 2) });
      expect(a1).toMatchObject({ state: "received", repoFullName: "o/r", installationId: 7, attempts: 0, cancelRequested: false, costUsd: 0 });
      // "received" runs are not claimable until queued, and they hold back later ones in their thread.
      expect(await store.claimNextRun()).toBeNull();
      for (const r of [a1, a2, b1]) await store.updateRun(r.id, { state: "queued" });

      expect(await store.claimRun(a2.id)).toBeNull(); // not next in its thread
      const first = await store.claimNextRun();
      const second = await store.claimNextRun();
      expect([first?.id, second?.id]).toEqual([a1.id, b1.id]);
      expect(first).toMatchObject({ state: "running", attempts: 1, trigger: trigger("o/r", 1) });
      expect(await store.claimNextRun()).toBeNull();
      expect(await store.claimRun(a2.id)).toBeNull(); // its thread is busy

      await store.updateRun(a1.id, { state: "succeeded", result: { outcome: "done" }, costUsd: 0.25, cancelRequested: true });
      expect((await store.claimRun(a2.id))?.id).toBe(a2.id);
      expect(await store.getRun(a1.id)).toMatchObject({ result: { outcome: "done" }, costUsd: 0.25, cancelRequested: true });
    });

    /** A queued run of installation `inst` in thread `thread` (a repository per installation). */
    const queued = async (inst: number, thread: string) => {
      const run = await store.createRun({ threadKey: thread, deliveryId: `d-${inst}-${thread}-${Math.random()}`, trigger: trigger(`inst${inst}/r`, 1, inst) });
      await store.updateRun(run.id, { state: "queued" });
      return run;
    };

    it("claims fairly across installations: A's 50 queued runs do not stand in front of B's one", async () => {
      const flood = [];
      for (let i = 0; i < 50; i++) flood.push(await queued(1, `a#${i}`));
      expect((await store.claimNextRun())?.id).toBe(flood[0]!.id); // nobody else waits: the oldest
      const lone = await queued(2, "b#1");
      // A has one running, B none: B's run is next, though 49 of A's are older.
      expect((await store.claimNextRun())?.id).toBe(lone.id);
      // Both have one running: the oldest again, and then B has nothing left.
      expect((await store.claimNextRun())?.id).toBe(flood[1]!.id);
      const late = await queued(2, "b#2");
      expect((await store.claimNextRun())?.id).toBe(late.id); // A 2 running, B 1
    });

    it("with one slot, takes turns: after A's run finishes, B's waiting run goes before A's next", async () => {
      const a = [await queued(1, "a#1"), await queued(1, "a#2"), await queued(1, "a#3")];
      expect((await store.claimNextRun())?.id).toBe(a[0]!.id);
      const b = await queued(2, "b#1");
      await store.updateRun(a[0]!.id, { state: "succeeded" });
      // Nobody runs now: a tie at 0, broken by whose last run started longest ago (B: never).
      expect((await store.claimNextRun())?.id).toBe(b.id);
      await store.updateRun(b.id, { state: "succeeded" });
      expect((await store.claimNextRun())?.id).toBe(a[1]!.id);
    });

    it("never runs more of one installation at once than the cap, counting what is running", async () => {
      const cap = { maxPerInstallation: 2 };
      const a = [];
      for (let i = 0; i < 4; i++) a.push(await queued(1, `a#${i}`));
      const claimed = [await store.claimNextRun(cap), await store.claimNextRun(cap)];
      expect(claimed.map((r) => r?.id)).toEqual([a[0]!.id, a[1]!.id]);
      expect(await store.claimNextRun(cap)).toBeNull(); // A is at its cap
      const b = await queued(2, "b#1");
      expect((await store.claimNextRun(cap))?.id).toBe(b.id); // B is not
      await store.updateRun(a[0]!.id, { state: "succeeded" });
      expect((await store.claimNextRun(cap))?.id).toBe(a[2]!.id); // a slot of A's freed
      expect(await store.claimNextRun(cap)).toBeNull();
      expect((await store.claimNextRun())?.id).toBe(a[3]!.id); // no cap asked for: none applies
    });

    it("keeps each thread's order and one-at-a-time rule while sharing fairly", async () => {
      const a1 = await queued(1, "a#1");
      const a2 = await queued(1, "a#1");
      const b1 = await queued(2, "b#1");
      const b2 = await queued(2, "b#1");
      const cap = { maxPerInstallation: 5 };
      expect((await store.claimNextRun(cap))?.id).toBe(a1.id);
      expect((await store.claimNextRun(cap))?.id).toBe(b1.id);
      // Both installations are under the cap, but both threads are busy.
      expect(await store.claimNextRun(cap)).toBeNull();
      await store.updateRun(b1.id, { state: "succeeded" });
      expect((await store.claimNextRun(cap))?.id).toBe(b2.id);
      await store.updateRun(a1.id, { state: "failed" });
      expect((await store.claimNextRun(cap))?.id).toBe(a2.id);
    });

    it("lists runs by thread and state, newest first, and those a dead process left unfinished", async () => {
      const r1 = await store.createRun({ threadKey: "t#1", deliveryId: "1", trigger: trigger("o/r", 1) });
      const r2 = await store.createRun({ threadKey: "t#2", deliveryId: "2", trigger: trigger("o/r", 2) });
      const r3 = await store.createRun({ threadKey: "t#1", deliveryId: "3", trigger: trigger("o/x", 1) });
      await store.updateRun(r2.id, { state: "queued" });
      await store.claimNextRun();
      await store.updateRun(r3.id, { state: "failed" });
      const future = new Date(Date.now() + 60_000).toISOString();
      const past = new Date(Date.now() - 60_000).toISOString();
      expect((await store.listUnfinished(future)).map((r) => [r.id, r.state])).toEqual([
        [r1.id, "received"],
        [r2.id, "running"],
      ]);
      // A live worker's heartbeat keeps its run out of recovery.
      expect(await store.listUnfinished(past)).toEqual([]);
      await new Promise((r) => setTimeout(r, 20));
      const mid = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 20));
      await store.heartbeat([r2.id]);
      expect((await store.listUnfinished(mid)).map((r) => r.id)).toEqual([r1.id]);
      expect((await store.listRuns({ threadKey: "t#1" })).map((r) => r.id)).toEqual([r3.id, r1.id]);
      expect((await store.listRuns({ states: ["running", "failed"] })).map((r) => r.id)).toEqual([r3.id, r2.id]);
      expect((await store.listRuns({ repoFullName: "o/x" })).map((r) => r.id)).toEqual([r3.id]);
      expect(await store.listRuns({ limit: 1 })).toHaveLength(1);
    });

    it("adds up the cost of a repository's or an installation's runs since a time", async () => {
      const before = new Date(Date.now() - 1000).toISOString();
      const a = await store.createRun({ threadKey: "t#1", deliveryId: "1", trigger: trigger("o/r", 1, 1) });
      const b = await store.createRun({ threadKey: "t#2", deliveryId: "2", trigger: trigger("o/r", 2, 1) });
      const c = await store.createRun({ threadKey: "t#3", deliveryId: "3", trigger: trigger("o/other", 3, 1) });
      await store.updateRun(a.id, { costUsd: 1.5 });
      await store.updateRun(b.id, { costUsd: 0.25 });
      await store.updateRun(c.id, { costUsd: 2 });
      expect(await store.costSince({ repoFullName: "o/r" }, before)).toBeCloseTo(1.75);
      expect(await store.costSince({ installationId: 1 }, before)).toBeCloseTo(3.75);
      expect(await store.costSince({ installationId: 2 }, before)).toBe(0);
      expect(await store.costSince({ repoFullName: "o/r" }, new Date(Date.now() + 60_000).toISOString())).toBe(0);
      await expect(store.ping()).resolves.toBeUndefined();
    });
    it("keeps one repository snapshot per installation, repository and setup hash, never another's", async () => {
      const key = { installationId: 7, repoFullName: "o/r", setupHash: "h1" };
      const at = new Date().toISOString();
      const snap = (snapshotId: string, k = key) => ({ ...k, provider: "local", snapshotId, baseBranch: "main", baseSha: "a".repeat(40), sizeBytes: 10, tookMs: 5, createdAt: at, lastUsedAt: at });
      expect(await store.snapshots.save(snap("s1"))).toBeNull();
      expect(await store.snapshots.save(snap("x", { ...key, repoFullName: "o/other" }))).toBeNull();
      expect(await store.snapshots.find(key, "local")).toMatchObject({ snapshotId: "s1", uses: 0, baseSha: "a".repeat(40) });
      // Another installation, repository, setup or provider finds nothing of this one's.
      expect(await store.snapshots.find({ ...key, installationId: 8 }, "local")).toBeNull();
      expect(await store.snapshots.find({ ...key, repoFullName: "o/r2" }, "local")).toBeNull();
      expect(await store.snapshots.find({ ...key, setupHash: "h2" }, "local")).toBeNull();
      expect(await store.snapshots.find(key, "e2b")).toBeNull();
      // A newer one replaces it and names the old one for deletion.
      expect(await store.snapshots.save(snap("s2"))).toBe("s1");
      const later = new Date(Date.now() + 1000).toISOString();
      await store.snapshots.touch(key, later);
      expect(await store.snapshots.find(key, "local")).toMatchObject({ snapshotId: "s2", uses: 1, lastUsedAt: later });
      expect((await store.snapshots.list()).map((r) => r.snapshotId)).toEqual(["s2", "x"]);
      // Removing the replaced id leaves the newer record alone.
      await store.snapshots.remove(key, "s1");
      expect(await store.snapshots.find(key, "local")).not.toBeNull();
      await store.snapshots.remove(key, "s2");
      expect(await store.snapshots.find(key, "local")).toBeNull();
    });
    it("answers the reaper by id and by age, past any number of snapshot records", async () => {
      const base = Date.parse("2026-01-01T00:00:00Z");
      const snap = (i: number, provider = "local") => {
        const at = new Date(base + i * 1000).toISOString();
        return { installationId: 1 + (i % 3), repoFullName: `o/r${i}`, setupHash: "h", provider, snapshotId: `${provider}-${i}`, baseBranch: "main", baseSha: "a".repeat(40), sizeBytes: null, tookMs: 1, createdAt: at, lastUsedAt: at };
      };
      for (let i = 0; i < 620; i++) await store.snapshots.save(snap(i));
      await store.snapshots.save({ ...snap(0, "e2b"), repoFullName: "o/on-e2b" });
      // Every id asked for is looked up, in chunks (over 500 ids), for this provider only.
      const ids = [...Array.from({ length: 620 }, (_, i) => `local-${i}`), "local-unknown", "e2b-0"];
      const recorded = await store.snapshots.recordedAmong("local", ids);
      expect(recorded.size).toBe(620);
      expect(recorded.has("local-unknown") || recorded.has("e2b-0")).toBe(false);
      expect(await store.snapshots.recordedAmong("local", [])).toEqual(new Set());
      // The oldest first, unused since the cutoff, this provider only, at most the limit.
      const before = new Date(base + 10 * 1000).toISOString();
      expect((await store.snapshots.unusedSince("local", before, 4)).map((r) => r.snapshotId)).toEqual(["local-0", "local-1", "local-2", "local-3"]);
      expect(await store.snapshots.unusedSince("local", before, 100)).toHaveLength(10);
      expect((await store.snapshots.unusedSince("e2b", before, 100)).map((r) => r.snapshotId)).toEqual(["e2b-0"]);
    });

    it("takes messages for a running run only while its inbox is open, each once, in order", async () => {
      const at = () => new Date().toISOString();
      const msg = (text: string) => ({ author: "alice", authorId: 7, commentId: 70, commentUrl: "https://x/c/70", text });
      // Never opened: refused (the mention queues as a run of its own).
      expect(await store.steering.offer(41, msg("too early"), at())).toBeNull();
      await store.steering.open(41, at());
      const first = await store.steering.offer(41, msg("one"), at());
      const second = await store.steering.offer(41, msg("two"), at());
      expect(first).not.toBeNull();
      expect(await store.steering.offer(42, msg("other run"), at())).toBeNull();
      const taken = await store.steering.take(41, at());
      expect(taken.map((m) => [m.text, m.state, m.author, m.authorId, m.commentId])).toEqual([
        ["one", "taken", "alice", 7, 70],
        ["two", "taken", "alice", 7, 70],
      ]);
      expect(await store.steering.take(41, at())).toEqual([]);
      await store.steering.markDelivered(first ?? 0, at());
      const third = await store.steering.offer(41, msg("three"), at());
      // Closing takes what was still pending; nothing gets in after it.
      expect((await store.steering.close(41, at())).map((m) => m.id)).toEqual([third]);
      expect(await store.steering.offer(41, msg("too late"), at())).toBeNull();
      const all = await store.steering.list(41);
      expect(all.map((m) => [m.id, m.text, m.state])).toEqual([
        [first, "one", "delivered"],
        [second, "two", "taken"],
        [third, "three", "taken"],
      ]);
      expect(all[0]?.deliveredAt).not.toBeNull();
      // The run retried (its process died): opening again offers what it had anew, in order.
      await store.steering.open(41, at());
      expect((await store.steering.take(41, at())).map((m) => m.text)).toEqual(["one", "two", "three"]);
    });
  });
}
