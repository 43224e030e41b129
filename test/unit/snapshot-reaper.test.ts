import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { reapOnce } from "../../src/runs/reaper.ts";
import { createLocalProvider } from "../../src/sandbox/local.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";

const HOUR = 3_600_000;

describe("the reaper and repository snapshots (local provider, SQLite store)", () => {
  it("deletes snapshots unused past SNAPSHOT_RETENTION_HOURS and their records, keeps used ones, and removes unrecorded ones at the second pass", async () => {
    const root = mkdtempSync(join(tmpdir(), "csb-snap-reap-"));
    const log = pino({ level: "silent" });
    const sandboxes = createLocalProvider({ root, log });
    const store = openSqliteStore(join(root, "bot.db"));
    const source = await sandboxes.create({ metadata: {}, timeoutMs: 0 });
    const now = Date.now();
    const keep = async (repo: string, lastUsedMsAgo: number) => {
      const key = { installationId: 1, repoFullName: repo, setupHash: "h" };
      const snap = await sandboxes.snapshots!.create(source, key);
      const at = new Date(now - lastUsedMsAgo).toISOString();
      await store.snapshots.save({ ...key, provider: "local", snapshotId: snap.id, baseBranch: "main", baseSha: "a".repeat(40), sizeBytes: snap.sizeBytes, tookMs: 1, createdAt: at, lastUsedAt: at });
      return snap.id;
    };
    const unused = await keep("o/old", 49 * HOUR);
    const used = await keep("o/new", 2 * HOUR);
    // Taken, but its record never written (a process died in between) — or being written right now.
    const unrecorded = (await sandboxes.snapshots!.create(source, { installationId: 1, repoFullName: "o/x", setupHash: "h" })).id;
    const deps = { store, sandboxes, log, limits: { pausedRetentionMs: 100 * HOUR, orphanGraceMs: 100 * HOUR, snapshotRetentionMs: 48 * HOUR }, now: () => now, unrecorded: new Set<string>() };

    await reapOnce(deps);
    expect((await sandboxes.snapshots!.list()).map((s) => s.id).sort()).toEqual([used, unrecorded].sort());
    expect((await store.snapshots.list()).map((r) => r.snapshotId)).toEqual([used]);
    await reapOnce(deps);
    expect((await sandboxes.snapshots!.list()).map((s) => s.id)).toEqual([used]);
    expect((await store.snapshots.list()).map((r) => r.snapshotId)).toEqual([used]);
    // Without a retention (no SNAPSHOT_RETENTION_HOURS given) the reaper leaves snapshots alone.
    await reapOnce({ ...deps, limits: { ...deps.limits, snapshotRetentionMs: undefined }, now: () => now + 1000 * HOUR });
    expect((await store.snapshots.list()).map((r) => r.snapshotId)).toEqual([used]);
    await store.close();
  });
});
