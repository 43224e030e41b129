import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { decideReap, reapOnce } from "../../src/runs/reaper.ts";
import { createLocalProvider } from "../../src/sandbox/local.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import type { SandboxSummary } from "../../src/sandbox/types.ts";
import type { Trigger } from "../../src/triggers/types.ts";

const HOUR = 3_600_000;
const limits = { pausedRetentionMs: 24 * HOUR, orphanGraceMs: 10 * 60_000 };
const at = (ms: number) => new Date(1_800_000_000_000 - ms);
const now = 1_800_000_000_000;

describe("decideReap", () => {
  it("kills paused sandboxes past retention and running ones whose run is over, after a grace", () => {
    const sandboxes: SandboxSummary[] = [
      { id: "paused-old", state: "paused", startedAt: at(25 * HOUR), metadata: { run: "1" } },
      { id: "paused-young", state: "paused", startedAt: at(2 * HOUR), metadata: { run: "2" } },
      { id: "running-busy", state: "running", startedAt: at(5 * HOUR), metadata: { run: "3" } },
      { id: "running-orphan", state: "running", startedAt: at(20 * 60_000), metadata: { run: "4" } },
      { id: "running-booting", state: "running", startedAt: at(60_000), metadata: { run: "5" } },
      { id: "running-no-run", state: "running", startedAt: at(HOUR), metadata: {} },
    ];
    expect(decideReap(sandboxes, new Set(["3"]), now, limits)).toEqual([
      { id: "paused-old", reason: "paused past its retention" },
      { id: "running-orphan", reason: "running without a running run (idle or stuck)" },
      { id: "running-no-run", reason: "running without a running run (idle or stuck)" },
    ]);
  });
});

describe("reapOnce with the local provider", () => {
  it("removes the directories of sandboxes nothing needs, and keeps the others", async () => {
    const root = mkdtempSync(join(tmpdir(), "csb-reap-"));
    const log = pino({ level: "silent" });
    const sandboxes = createLocalProvider({ root, log });
    const store = openSqliteStore(join(root, "bot.db"));
    const run = await store.createRun({ threadKey: "o/r#1", deliveryId: "d", trigger: { installationId: 1, repo: { fullName: "o/r" } } as unknown as Trigger });
    await store.updateRun(run.id, { state: "queued" });
    await store.claimNextRun();
    const busy = await sandboxes.create({ metadata: { run: String(run.id) }, timeoutMs: 1000 });
    const orphan = await sandboxes.create({ metadata: { run: "999" }, timeoutMs: 1000 });
    const kept = await sandboxes.create({ metadata: { run: "998" }, timeoutMs: 1000 });
    await kept.pause();
    const reaped = await reapOnce({ store, sandboxes, log, limits: { pausedRetentionMs: HOUR, orphanGraceMs: 0 }, now: () => Date.now() + 1 });
    expect(reaped.map((d) => d.id)).toEqual([orphan.id]);
    expect((await sandboxes.list()).map((s) => s.id).sort()).toEqual([busy.id, kept.id].sort());
    expect(await sandboxes.connect(orphan.id, 1000)).toBeNull();
    expect((await sandboxes.connect(kept.id, 1000))?.workdir).toBe(kept.workdir);
    await store.close();
  });
});
