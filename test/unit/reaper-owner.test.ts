import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { reapOnce } from "../../src/runs/reaper.ts";
import { keepForNextRun, reconnect, startSandbox } from "../../src/runs/sandbox-phase.ts";
import { createLocalProvider } from "../../src/sandbox/local.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import { startRun } from "../support/running-run.ts";

/**
 * Issue 14 item 2: a follow-up reconnects to the sandbox its thread's first run created, and the
 * sandbox's label still names that first run. The reaper must see that the thread's running run
 * owns it, however long the follow-up runs; a sandbox whose thread has no running run is reaped.
 */

const MINUTE = 60_000;
const limits = { pausedRetentionMs: 24 * 60 * MINUTE, orphanGraceMs: 10 * MINUTE };
const log = pino({ level: "silent" });

describe("the reaper and a follow-up on a reconnected sandbox", () => {
  it("keeps a follow-up's sandbox past the grace, and reaps a sandbox whose thread has no running run", async () => {
    const root = mkdtempSync(join(tmpdir(), "csb-reap-owner-"));
    const sandboxes = createLocalProvider({ root, log });
    const store = openSqliteStore(join(root, "bot.db"));
    const deps = { sandboxes, timeoutMs: 60 * MINUTE };
    try {
      // The thread's first run creates the sandbox (labelled with run 1), finishes, and pauses it.
      const first = await startRun(store, "o/r#1");
      const box = await startSandbox(deps, first);
      expect((await sandboxes.list()).find((s) => s.id === box.id)?.metadata).toMatchObject({ thread: "o/r#1", run: String(first.id) });
      await store.updateRun(first.id, { state: "succeeded" });
      expect(await keepForNextRun(box, log)).toBe(box.id);

      // The follow-up reconnects; the label still says run 1, which is no longer running.
      const followUp = await startRun(store, "o/r#1");
      const live = await reconnect(deps, box.id, log);
      expect(live?.id).toBe(box.id);

      // A sandbox of another thread whose run is over, left running (a crashed worker).
      const other = await startRun(store, "o/r#2");
      const orphan = await startSandbox(deps, other);
      await store.updateRun(other.id, { state: "failed" });

      // The clock is past the grace for both: the follow-up's sandbox stays, the orphan goes.
      const later = () => Date.now() + limits.orphanGraceMs + 5 * MINUTE;
      const reaped = await reapOnce({ store, sandboxes, log, limits, now: later });
      expect(reaped).toEqual([{ id: orphan.id, reason: "running without a running run (idle or stuck)" }]);
      expect((await live!.run(["sh", "-c", "echo still here"])).stdout).toBe("still here\n");
      expect((await sandboxes.list()).map((s) => s.id)).toEqual([box.id]);

      // Once the follow-up is over and nothing pauses the sandbox, nothing owns it: it is reaped.
      await store.updateRun(followUp.id, { state: "succeeded" });
      expect((await reapOnce({ store, sandboxes, log, limits, now: later })).map((d) => d.id)).toEqual([box.id]);
      expect(await sandboxes.list()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
