import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import { planReply, say, tool } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * On a pull request the agent works with the base branch's CLAUDE.md (pinned while Claude runs).
 * Whatever the agent phase comes to, the paused sandbox keeps the PR's own checkout afterwards:
 * the pin is released with the sandbox, not only when the agent phase gets as far as Claude's exit.
 * The second case breaks the agent phase before Claude starts: the agent's first run left a file
 * where the bot writes the run's MCP config, so writing it throws.
 */

describe("the pinned agent config is released whatever the agent phase comes to", () => {
  let w: World;
  let onRequest: (req: AgentRequest) => Reply = () => ({ error: { status: 400, type: "invalid_request_error", message: "model not available to this key" } });
  beforeAll(async () => {
    w = await startWorld({
      files: { "CLAUDE.md": "base rules\n", ".github/claude-sandbox-bot.yml": "mcpServers:\n  noop:\n    type: stdio\n    command: \"true\"\n" },
      script: (req) => onRequest(req),
    });
  }, 60_000);

  /** The checkout of the one paused sandbox whose branch has `marker`. */
  const pausedCheckout = (marker: string) => {
    const root = join(w.bot.dataDir, "sandboxes");
    const repos = readdirSync(root)
      .filter((name) => name.startsWith("local-"))
      .map((box) => join(root, box, "repo"))
      .filter((repo) => existsSync(join(repo, marker)));
    expect(repos).toHaveLength(1);
    return repos[0]!;
  };
  const expectHeadConfig = (repo: string) => {
    expect(readFileSync(join(repo, "CLAUDE.md"), "utf8")).toBe("head rules\n");
    // No skip-worktree flag (`S`) left on the head's file, no exclude block for the pin.
    expect(execFileSync("git", ["ls-files", "-v", "CLAUDE.md"], { cwd: repo, encoding: "utf8" })).toBe("H CLAUDE.md\n");
    expect(readFileSync(join(repo, ".git/info/exclude"), "utf8")).not.toContain("claude-sandbox-bot");
  };
  afterAll(async () => {
    await w?.close();
  });

  it("a failed agent phase leaves the PR head's CLAUDE.md in the paused sandbox, tracked as usual", async () => {
    await w.gh.git.commit(w.repo.fullName, { branch: "topic", from: "main", files: { "CLAUDE.md": "head rules\n", "a.txt": "a\n" }, message: "Topic" });
    const pr = (await w.gh.addPull(w.repo.fullName, { title: "Topic", head: "topic", user: "alice" })).number;
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: pr, comment: { body: `${w.trigger} tidy this up`, user: "alice" } }));
    const report = await w.waitForReport(pr);
    expect(report.body).toMatch(/^### ❌ Failed in agent/m);

    expectHeadConfig(pausedCheckout("a.txt"));
  });

  it("an agent phase that throws before Claude starts releases the pin too", async () => {
    await w.gh.git.commit(w.repo.fullName, { branch: "topic2", from: "main", files: { "CLAUDE.md": "head rules\n", "b.txt": "b\n" }, message: "Topic 2" });
    const pr = (await w.gh.addPull(w.repo.fullName, { title: "Topic 2", head: "topic2", user: "alice" })).number;
    // First run: the agent turns the bot's directory in its home into a file.
    onRequest = (req) => planReply([() => [tool("Bash", { command: "rm -rf ~/.claude-sandbox-bot && echo x > ~/.claude-sandbox-bot", description: "break" })]], req);
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: pr, comment: { body: `${w.trigger} look around`, user: "alice" } }));
    expect((await w.waitForReport(pr)).body).toMatch(/^### (✅|⚪)/m);
    // Second run, in the same paused sandbox: writing the MCP config fails.
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: pr, comment: { body: `${w.trigger} and now?`, user: "alice" } }));
    expect((await w.waitForReport(pr, 2)).body).toMatch(/^### ❌ Failed in agent/m);
    expectHeadConfig(pausedCheckout("b.txt"));
  });
});
