import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalProvider } from "../../src/sandbox/local.ts";
import type { AgentRequest } from "../support/fake-anthropic/types.ts";
import { planReply, say, tool, type Plan } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * Issue 14 item 1: started from a clone of this project, the local provider's default root
 * (./data/sandboxes) is inside a git work tree. The sandbox must not see that repository: not the
 * bot's checkout script (which refused: "the sandbox already holds a checkout"), and not the
 * agent's commands. Here the root is put inside a fresh git repository, as it is in a clone.
 */

const outer = mkdtempSync(join(tmpdir(), "csb-clone-"));
execFileSync("git", ["init", "-q", outer]);
writeFileSync(join(outer, "OUTER.md"), "the enclosing repository\n");
execFileSync("git", ["-C", outer, "add", "OUTER.md"]);
execFileSync("git", ["-C", outer, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "outer"]);
const root = join(outer, "data", "sandboxes");
mkdirSync(root, { recursive: true });
const probe = join(outer, "probe.txt");

// What git answers from the sandbox's home and from the sandboxes' root, written where the test can read it.
const PROBE = `{ (cd "$HOME" && git rev-parse --show-toplevel 2>&1); (cd ../.. && git rev-parse --show-toplevel 2>&1); } > ${probe}; echo '# Notes' > NOTES.md`;
const PLAN: Plan = [() => [tool("Bash", { command: PROBE, description: "Probe git and add notes" })], () => [say("Added NOTES.md.")]];

describe("local mode with the sandboxes' root inside a git work tree (a clone of this project)", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script: (req: AgentRequest) => planReply(PLAN, req), env: { LOCAL_SANDBOX_ROOT: root } });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("clones, runs Claude and opens a PR; the agent's git commands do not find the enclosing repository", async () => {
    const ev = w.hooks.issueCommentCreated({
      repo: w.repo,
      issue: { title: "Add notes", body: "We need notes.", user: "alice" },
      comment: { body: `${w.trigger} add notes`, user: "alice" },
    });
    expect((await w.send(ev)).status).toBe(200);
    const report = await w.waitForReport(ev.payload.issue.number);
    expect(report.body).not.toMatch(/already holds a checkout/);
    const pr = w.gh.state.pulls.find((p) => p.repo === w.repo.fullName);
    expect(pr, report.body).toMatchObject({ head: `claude/issue-${ev.payload.issue.number}`, state: "open" });
    expect(report.body).toMatch(new RegExp(`^### ✅ Done — opened #${pr!.number}$`, "m"));
    const answers = readFileSync(probe, "utf8");
    expect(answers).not.toContain(outer);
    expect(answers.match(/not a git repository/g)).toHaveLength(2);
  });

  it("a command the provider runs in a sandbox directory cannot see the enclosing repository", async () => {
    const provider = createLocalProvider({ root, log: pino({ level: "silent" }) });
    const box = await provider.create({ metadata: {}, timeoutMs: 60_000 });
    try {
      for (const cwd of [box.workdir, box.homeDir, join(box.workdir, ".."), root]) {
        const result = await box.run(["git", "rev-parse", "--git-dir"], { cwd });
        expect(result.exitCode, `${cwd}: ${result.stdout}`).toBe(128);
        expect(result.stderr).toMatch(/not a git repository/);
      }
      // The checkout script's guard sees an empty work directory as empty.
      expect((await box.run(["sh", "-c", "git rev-parse --git-dir >/dev/null 2>&1 && echo checkout || echo empty"])).stdout).toBe("empty\n");
    } finally {
      await box.kill();
    }
  });

  it("refuses a root that is itself a repository's top level (the ceiling is the root's parent)", async () => {
    const provider = createLocalProvider({ root: outer, log: pino({ level: "silent" }) });
    await expect(provider.create({ metadata: {}, timeoutMs: 60_000 })).rejects.toThrow(/LOCAL_SANDBOX_ROOT=.* holds a \.git.*choose a directory/);
  });
});
