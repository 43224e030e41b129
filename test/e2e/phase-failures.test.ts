import { rename } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import { planReply, say, tool } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * When a phase fails, the report names the phase and what to do, nothing is left "working", and
 * nothing half-done is published.
 */

function expectFinished(w: World, issueNumber: number) {
  for (const c of w.botComments(issueNumber)) expect(c.body).not.toMatch(/Working on it/);
}

describe("a failing phase is reported, never left working", () => {
  let w: World;
  let onRequest: (req: AgentRequest) => Reply | Promise<Reply> = () => ({ content: [say("Done.")] });
  beforeAll(async () => {
    w = await startWorld({ script: (req) => onRequest(req) });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("agent: the model API keeps failing", async () => {
    onRequest = () => ({ error: { status: 400, type: "invalid_request_error", message: "model claude-e2e-test is not available to this key" } });
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Too big", body: "x", user: "alice" }, comment: { body: `${w.trigger} do it`, user: "alice" } });
    await w.send(ev);
    const report = await w.waitForReport(ev.payload.issue.number);
    expect(report.body).toMatch(/^### ❌ Failed in agent: running Claude Code$/m);
    expect(report.body).toContain("model claude-e2e-test is not available to this key");
    expect(w.gh.state.pulls).toEqual([]);
    expectFinished(w, ev.payload.issue.number);
  });

  it("publish: the push is rejected because someone pushed to the branch meanwhile", async () => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Race", body: "x", user: "alice" }, comment: { body: `${w.trigger} add a file`, user: "alice" } });
    const branch = `claude/issue-${ev.payload.issue.number}`;
    onRequest = (req) =>
      planReply(
        [
          () => [tool("Bash", { command: "echo mine > race.txt", description: "write" })],
          // While Claude works, a human pushes to the same branch: the bot's push is no fast-forward.
          () => [say("Wrote race.txt.")],
        ],
        req,
      );
    const original = onRequest;
    let pushed = false;
    onRequest = async (req) => {
      if (!pushed) {
        pushed = true;
        await w.gh.git.commit(w.repo.fullName, { branch, from: "main", files: { "theirs.txt": "theirs\n" }, message: "A human got there first" });
      }
      return original(req);
    };
    await w.send(ev);
    const report = await w.waitForReport(ev.payload.issue.number);
    expect(report.body).toMatch(/^### ❌ Failed in publish: publishing the result$/m);
    expect(report.body).toMatch(/push to claude\/issue-\d+ was rejected/);
    expect(report.body).toMatch(/mention the bot again/);
    expect(await w.gh.git.readFile(w.repo.fullName, branch, "theirs.txt")).toBe("theirs\n");
    expect(await w.gh.git.readFile(w.repo.fullName, branch, "race.txt")).toBeNull();
    expect(w.gh.state.pulls).toEqual([]);
    expectFinished(w, ev.payload.issue.number);
  });

  it("clone: the repository cannot be cloned", async () => {
    onRequest = () => ({ content: [say("should not run")] });
    const before = w.model.agentRequests().length;
    // GitHub knows the repository, but its git data is gone for now (the clone URL is the bot's own, not the payload's).
    const aside = `${w.repo.bareDir}.aside`;
    await rename(w.repo.bareDir, aside);
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Moved", body: "x", user: "alice" }, comment: { body: `${w.trigger} do it`, user: "alice" } });
    const report = await (async () => {
      try {
        await w.send(ev);
        return await w.waitForReport(ev.payload.issue.number);
      } finally {
        await rename(aside, w.repo.bareDir);
      }
    })();
    expect(report.body).toMatch(/^### ❌ Failed in clone: cloning the repository$/m);
    expect(report.body).toMatch(/git clone failed .*check that the app is installed on this repository/);
    expect(w.model.agentRequests().length).toBe(before);
    expectFinished(w, ev.payload.issue.number);
    // No token in the report, even though git printed the failing request.
    for (const t of w.gh.state.tokens) expect(report.body).not.toContain(t.token);
  });
});

describe("sandbox: the sandbox cannot start", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ env: { LOCAL_SANDBOX_ROOT: "/etc/hostname/cannot-be-a-directory" } });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("reports the sandbox phase", async () => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "t", body: "x", user: "alice" }, comment: { body: `${w.trigger} do it`, user: "alice" } });
    await w.send(ev);
    const report = await w.waitForReport(ev.payload.issue.number);
    expect(report.body).toMatch(/^### ❌ Failed in sandbox: starting the sandbox$/m);
    expect(report.body).toMatch(/The sandbox could not be started/);
    expectFinished(w, ev.payload.issue.number);
  });
});
