import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { PUBLISH_MARGIN_MS } from "../../src/runs/limits.ts";
import { keepForNextRun, reconnect, startSandbox } from "../../src/runs/sandbox-phase.ts";
import { createLocalProvider } from "../../src/sandbox/local.ts";
import type { Sandbox } from "../../src/sandbox/types.ts";
import type { RunRecord } from "../../src/store/types.ts";

/**
 * Issue 14 item 3: the agent may use all of SANDBOX_TIMEOUT_SECONDS; the sandbox must still be
 * running for what follows it (agent-config restore, transcript read, commit and bundle). The
 * local provider enforces its lifetime as E2B does (paused at the end of it), so a sandbox given
 * only the agent's limit pauses in the middle of publishing.
 */

const log = pino({ level: "silent" });
const provider = () => createLocalProvider({ root: mkdtempSync(join(tmpdir(), "csb-margin-")), log });
const run = { id: 7, threadKey: "o/r#7" } as RunRecord;
const git = (box: Sandbox, ...args: string[]) => box.run(["git", "-c", "user.name=bot", "-c", "user.email=bot@example.com", ...args]);

/** The agent works until its deadline, then the run publishes: commit, bundle, read the bundle. */
async function agentThenPublish(box: Sandbox, agentMs: number) {
  const agent = await box.run(["sh", "-c", `echo work > work.txt; sleep ${agentMs / 1000}`], { timeoutMs: agentMs });
  expect(agent.stderr).not.toMatch(/lifetime ran out/);
  expect((await git(box, "add", "-A")).exitCode).toBe(0);
  expect((await git(box, "commit", "-qm", "work")).exitCode).toBe(0);
  expect((await git(box, "bundle", "create", `${box.homeDir}/out.bundle`, "HEAD")).exitCode).toBe(0);
  expect((await box.readBytes(`${box.homeDir}/out.bundle`))?.byteLength).toBeGreaterThan(0);
}

describe("the local provider's lifetime", () => {
  it("pauses the sandbox when its lifetime runs out, kills what runs, refuses more until connect", async () => {
    const sandboxes = provider();
    const box = await sandboxes.create({ metadata: {}, timeoutMs: 300 });
    const started = Date.now();
    const cut = await box.run(["sleep", "20"]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(cut.exitCode).not.toBe(0);
    expect(cut.stderr).toMatch(/lifetime ran out/);
    await expect(box.run(["true"])).rejects.toThrow(/paused: its lifetime of 300 ms .* ran out\. Connect to it again/);
    await expect(box.writeFile(`${box.homeDir}/x`, "x")).rejects.toThrow(/paused/);
    await new Promise((r) => setTimeout(r, 50));
    expect((await sandboxes.list()).map((s) => s.state)).toEqual(["paused"]);
    const again = await sandboxes.connect(box.id, 60_000);
    expect((await again!.run(["sh", "-c", "echo back"])).stdout).toBe("back\n");
    expect((await sandboxes.list()).map((s) => s.state)).toEqual(["running"]);
    await again!.kill();
  });
});

describe("the publish margin", () => {
  it("is minutes, not seconds", () => {
    expect(PUBLISH_MARGIN_MS).toBeGreaterThanOrEqual(2 * 60_000);
  });

  it("a new sandbox outlives an agent that uses all of SANDBOX_TIMEOUT_SECONDS, so publishing completes", async () => {
    const sandboxes = provider();
    const sandboxTimeoutMs = 600;
    const box = await startSandbox({ sandboxes, timeoutMs: sandboxTimeoutMs }, run);
    expect((await box.run(["git", "init", "-q"])).exitCode).toBe(0);
    await agentThenPublish(box, sandboxTimeoutMs);
    expect(await keepForNextRun(box, log)).toBe(box.id);
    await box.kill();
  });

  it("so does a reconnected one (the follow-up's fast path)", async () => {
    const sandboxes = provider();
    const sandboxTimeoutMs = 600;
    const deps = { sandboxes, timeoutMs: sandboxTimeoutMs };
    const first = await startSandbox(deps, run);
    expect((await first.run(["git", "init", "-q"])).exitCode).toBe(0);
    await first.pause();
    const box = await reconnect(deps, first.id, log);
    await agentThenPublish(box!, sandboxTimeoutMs);
    await box!.kill();
  });
});
