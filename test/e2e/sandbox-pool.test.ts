import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../support/wait-for.ts";
import { cwdOf, planReply, say, tool, type Plan } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * Issue 19 item 3 end to end (local provider): with SANDBOX_POOL_SIZE=1 the bot keeps a started
 * sandbox; a thread's first run (no paused sandbox, no repository snapshot) takes it instead of
 * creating one, and the pool starts another. With the default (0) nothing of the pool happens.
 */

const PLAN: Plan = [(req) => [tool("Write", { file_path: `${cwdOf(req)}/notes.txt`, content: "from the pool\n" })], () => [say("Wrote notes.txt.")]];

const readyIds = (w: World) => w.bot.logRecords().filter((r) => r.msg === "pool: a sandbox is ready").map((r) => r.sandbox as string);
const sandboxDirs = (w: World) => (existsSync(join(w.bot.dataDir, "sandboxes")) ? readdirSync(join(w.bot.dataDir, "sandboxes")).filter((n) => n.startsWith("local-")) : []);

async function firstRun(w: World): Promise<string> {
  const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Notes", body: "", user: "alice" }, comment: { body: `${w.trigger} write notes`, user: "alice" } });
  expect((await w.send(ev)).status).toBe(200);
  const report = await w.waitForReport(ev.payload.issue.number);
  return report.body;
}

describe("the sandbox pool end to end", () => {
  let w: World | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  it("SANDBOX_POOL_SIZE=1: a first run uses the pool's started sandbox, and the pool is refilled", async () => {
    w = await startWorld({ script: (req) => planReply(PLAN, req), env: { SANDBOX_POOL_SIZE: "1" } });
    const world = w;
    const pooled = await waitFor("the pool's first sandbox", () => readyIds(world)[0], 20_000, 50);
    expect(sandboxDirs(world)).toEqual([pooled]);

    expect(await firstRun(world)).toMatch(/^### ✅/m);
    const taken = world.bot.logRecords().find((r) => r.msg === "a sandbox from the pool");
    expect(taken?.sandbox).toBe(pooled);
    // The pool made exactly one more, and the run made none of its own.
    const refilled = await waitFor("the refill", () => readyIds(world)[1], 20_000, 50);
    expect(refilled).not.toBe(pooled);
    expect(readyIds(world)).toHaveLength(2);
    expect(sandboxDirs(world).sort()).toEqual([pooled, refilled].sort());

    // At shutdown the idle one is killed; the thread's paused sandbox stays for its next run.
    await world.bot.stop();
    expect(sandboxDirs(world)).toEqual([pooled]);
  }, 120_000);

  it("SANDBOX_POOL_SIZE unset: no pool, the run creates its own sandbox as before", async () => {
    w = await startWorld({ script: (req) => planReply(PLAN, req) });
    const world = w;
    expect(sandboxDirs(world)).toEqual([]);
    expect(await firstRun(world)).toMatch(/^### ✅/m);
    expect(world.bot.logRecords().filter((r) => typeof r.msg === "string" && /pool/.test(r.msg))).toEqual([]);
    expect(sandboxDirs(world)).toHaveLength(1);
  }, 120_000);
});
