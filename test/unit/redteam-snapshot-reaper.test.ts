import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { reapOnce } from "../../src/runs/reaper.ts";
import type { SandboxProvider, SandboxSnapshots, SnapshotSummary } from "../../src/sandbox/types.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";

/**
 * Red team (issue 19): one installation makes many snapshots (a snapshot per repository and setup
 * hash, and the hash changes with every edit of the setup commands or their variables), and the
 * reaper then deletes another installation's snapshot that is recorded and in use.
 *
 * The reaper reads the records with store.snapshots.list(), which is `ORDER BY last_used_at DESC
 * LIMIT 500` (src/store/snapshot-ledger.ts list), and takes every provider snapshot missing from
 * that list at two passes in a row for an orphan. The 501st record, the least recently used but
 * well inside SNAPSHOT_RETENTION_HOURS, is such an "orphan": its provider copy is deleted while its
 * record stays, so its repository's next thread fails to start from it and clones cold.
 *
 * The provider here is a double of the snapshots' bookkeeping only (ids held, ids deleted): what is
 * under test is the reaper with the real SQLite store.
 */

const HOUR = 3_600_000;

function recordingProvider(held: string[]): { provider: SandboxProvider; deleted: string[] } {
  const deleted: string[] = [];
  const snapshots: SandboxSnapshots = {
    create: () => Promise.reject(new Error("not used")),
    start: () => Promise.reject(new Error("not used")),
    list: async () => held.filter((id) => !deleted.includes(id)).map((id): SnapshotSummary => ({ id, name: `csb-snap-${id}`, sizeBytes: null })),
    delete: async (id) => void deleted.push(id),
  };
  const provider: SandboxProvider = {
    name: "local",
    create: () => Promise.reject(new Error("not used")),
    connect: async () => null,
    list: async () => [],
    killById: async () => undefined,
    snapshots,
  };
  return { provider, deleted };
}

describe("red team: the snapshot reaper under one installation's flood of snapshots", () => {
  // Was a defect: reapSnapshots compared the provider's snapshots with a list capped at 500
  // records, so a recorded snapshot beyond the cap was reaped as an orphan (and the oldest records,
  // beyond the cap too, never expired). It asks the store by id and by age now.
  it("never deletes a recorded snapshot inside its retention, however many other snapshots there are", async () => {
    const store = openSqliteStore(join(mkdtempSync(join(tmpdir(), "csb-rt-reap-")), "bot.db"));
    const now = Date.now();
    const save = (installationId: number, repo: string, setupHash: string, snapshotId: string, usedMsAgo: number) => {
      const at = new Date(now - usedMsAgo).toISOString();
      return store.snapshots.save({ installationId, repoFullName: repo, setupHash, provider: "local", snapshotId, baseBranch: "main", baseSha: "a".repeat(40), sizeBytes: null, tookMs: 1, createdAt: at, lastUsedAt: at });
    };
    // The victim: installation 2's one snapshot, used an hour ago (retention: 48 h).
    await save(2, "victim/app", "h", "snap-victim", HOUR);
    // The flood: installation 1's 500 snapshots, each used more recently (one per setup hash).
    const flood = Array.from({ length: 500 }, (_, i) => `snap-flood-${i}`);
    for (const [i, id] of flood.entries()) await save(1, "flood/app", `hash-${i}`, id, 60_000 + i);
    const { provider, deleted } = recordingProvider(["snap-victim", ...flood]);
    const deps = { store, sandboxes: provider, log: pino({ level: "silent" }), limits: { pausedRetentionMs: 100 * HOUR, orphanGraceMs: 100 * HOUR, snapshotRetentionMs: 48 * HOUR }, now: () => now, unrecorded: new Set<string>() };

    await reapOnce(deps);
    await reapOnce(deps);
    expect(await store.snapshots.find({ installationId: 2, repoFullName: "victim/app", setupHash: "h" }, "local")).not.toBeNull();
    expect(deleted).not.toContain("snap-victim");
  }, 60_000);

  it("expires the oldest records too, however many newer ones there are", async () => {
    const store = openSqliteStore(join(mkdtempSync(join(tmpdir(), "csb-rt-reap-")), "bot.db"));
    const now = Date.now();
    const save = (setupHash: string, snapshotId: string, usedMsAgo: number) => {
      const at = new Date(now - usedMsAgo).toISOString();
      return store.snapshots.save({ installationId: 1, repoFullName: "flood/app", setupHash, provider: "local", snapshotId, baseBranch: "main", baseSha: "a".repeat(40), sizeBytes: null, tookMs: 1, createdAt: at, lastUsedAt: at });
    };
    await save("old", "snap-old", 100 * HOUR);
    const flood = Array.from({ length: 500 }, (_, i) => `snap-new-${i}`);
    for (const [i, id] of flood.entries()) await save(`hash-${i}`, id, 60_000 + i);
    const { provider, deleted } = recordingProvider(["snap-old", ...flood]);
    await reapOnce({ store, sandboxes: provider, log: pino({ level: "silent" }), limits: { pausedRetentionMs: 100 * HOUR, orphanGraceMs: 100 * HOUR, snapshotRetentionMs: 48 * HOUR }, now: () => now, unrecorded: new Set<string>() });
    expect(deleted).toEqual(["snap-old"]);
    expect(await store.snapshots.find({ installationId: 1, repoFullName: "flood/app", setupHash: "old" }, "local")).toBeNull();
  }, 60_000);
});
