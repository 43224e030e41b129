import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest } from "../support/fake-anthropic/types.ts";
import { cwdOf, planReply, say, tool, type Plan } from "./script-helpers.ts";
import { reportJson, startWorld, type World } from "./harness.ts";

/**
 * The product's main job, end to end: a mention in an issue → 👀 + progress comment → Claude Code
 * (the real CLI) edits the checkout → branch, commits, draft PR → the comment becomes the report;
 * then a follow-up in the same issue resumes the same session on the same branch and PR.
 */

const FIRST: Plan = [
  () => [say("I'll add the guide."), tool("Bash", { command: "printf '# Contributing\\n\\nRun the tests before opening a PR.\\n' > CONTRIBUTING.md && git status --short", description: "Create the guide" })],
  (req) => [tool("Write", { file_path: `${cwdOf(req)}/docs/setup.md`, content: "# Setup\n\nnpm install\n" })],
  (req) => [tool("Edit", { file_path: `${cwdOf(req)}/src/index.js`, old_string: "answer = 41", new_string: "answer = 42" })],
  () => [say("Added CONTRIBUTING.md and docs/setup.md, and fixed the answer in src/index.js.")],
];

const FOLLOW_UP: Plan = [
  () => [tool("Bash", { command: "printf '\\nBe kind.\\n' >> CONTRIBUTING.md && git add -A && git commit -qm 'Add a kindness rule'", description: "Amend the guide" })],
  () => [say("Added a kindness rule to CONTRIBUTING.md.")],
];

const OTHER_ISSUE: Plan = [() => [say("The README already says everything; nothing to change.")]];

function script(req: AgentRequest) {
  const prompt = req.lastUserText;
  if (prompt.includes("kindness")) return planReply(FOLLOW_UP, req);
  if (prompt.includes("CONTRIBUTING")) return planReply(FIRST, req);
  return planReply(OTHER_ISSUE, req);
}

describe("core path: @mention in an issue → sandbox → Claude Code → pull request → report", () => {
  let w: World;
  let firstIssue = 0;
  beforeAll(async () => {
    w = await startWorld({ script });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("acknowledges, runs Claude in the checkout, opens a draft PR and turns the progress comment into the report", async () => {
    const ev = w.hooks.issueCommentCreated({
      repo: w.repo,
      issue: { title: "Add a CONTRIBUTING guide", body: "New contributors don't know how to start.", user: "alice" },
      comment: { body: `${w.trigger} add a CONTRIBUTING guide`, user: "alice" },
    });
    const issueNumber = ev.payload.issue.number;
    firstIssue = issueNumber;
    const response = await w.send(ev);
    expect(response.status).toBe(200);

    // Acknowledged right after GitHub got its answer (w.send waits for that): 👀 and a progress comment.
    expect(w.gh.state.reactions.filter((r) => r.commentId === ev.comment.id).map((r) => [r.content, r.user.login])).toEqual([["eyes", w.gh.botUser.login]]);
    const progress = w.botComments(issueNumber);
    expect(progress).toHaveLength(1);
    expect(progress[0]!.body).toMatch(/Working on it/);

    const report = await w.waitForReport(issueNumber);
    expect(report.id).toBe(progress[0]!.id);
    // It was edited while Claude worked (phases, steps), then into the report.
    expect(report.history.length).toBeGreaterThanOrEqual(2);
    expect(report.history.some((b) => /Working on it — running Claude Code/.test(b))).toBe(true);

    const pr = w.gh.state.pulls.find((p) => p.repo === w.repo.fullName);
    expect(pr, report.body).toMatchObject({ head: `claude/issue-${issueNumber}`, base: "main", draft: true, state: "open", title: "Add a CONTRIBUTING guide" });
    expect(pr!.body).toContain(`Closes #${issueNumber}`);
    expect(pr!.body).toContain("Added CONTRIBUTING.md and docs/setup.md");

    expect(report.body).toMatch(new RegExp(`^### ✅ Done — opened #${pr!.number}$`, "m"));
    expect(report.body).toContain(`**Pull request:** [#${pr!.number}](`);
    expect(report.body).toMatch(/\*\*Duration:\*\* \d+/);
    expect(report.body).toMatch(/\*\*Turns:\*\* \d+/);
    expect(report.body).toMatch(/\*\*Cost:\*\* \$\d/);
    const json = reportJson(report.body);
    for (const key of ["subtype", "is_error", "duration_ms", "num_turns", "total_cost_usd", "usage", "session_id"]) expect(json).toHaveProperty(key);
    expect(json).toMatchObject({ type: "result", subtype: "success", is_error: false });
    expect(report.body).not.toContain("sk-ant-api03");

    // What the git server holds: Claude's real edits on the thread's branch.
    const branch = `claude/issue-${issueNumber}`;
    expect(await w.gh.git.branches(w.repo.fullName)).toContain(branch);
    expect(await w.gh.git.readFile(w.repo.fullName, branch, "CONTRIBUTING.md")).toBe("# Contributing\n\nRun the tests before opening a PR.\n");
    expect(await w.gh.git.readFile(w.repo.fullName, branch, "docs/setup.md")).toBe("# Setup\n\nnpm install\n");
    expect(await w.gh.git.readFile(w.repo.fullName, branch, "src/index.js")).toBe("export const answer = 42;\n");
    expect(await w.gh.git.readFile(w.repo.fullName, "main", "CONTRIBUTING.md")).toBeNull();
    const log = await w.gh.git.log(w.repo.fullName, branch);
    expect(log).toHaveLength(2);
    expect(log[0]!.author).toContain(w.gh.appSlug);

    // Git was only ever used with tokens the fake issued for this repository.
    expect(w.gh.gitRequests.length).toBeGreaterThan(0);
    expect(w.gh.unexpected).toEqual([]);
  });

  it("continues the same Claude session on the same branch and PR for a follow-up in the issue", async () => {
    const issueNumber = firstIssue;
    const firstReport = w.botComments(issueNumber)[0]!;
    const firstSession = String(reportJson(firstReport.body).session_id);
    const agentRequestsBefore = w.model.agentRequests().length;

    // Someone pushes to the thread's branch in between: the live sandbox gets that commit too.
    await w.gh.git.commit(w.repo.fullName, { branch: `claude/issue-${issueNumber}`, files: { "NOTES.md": "from a human\n" }, message: "A human's note" });
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: issueNumber, comment: { body: `${w.trigger} please add a kindness rule`, user: "alice" } });
    expect((await w.send(ev)).status).toBe(200);
    const report = await w.waitForReport(issueNumber, 2);

    const json = reportJson(report.body);
    expect(json.session_id).toBe(firstSession);
    // The local provider kept the thread's sandbox directory: the fast path.
    expect(report.body).toContain("(resumed warm in the live sandbox)");
    expect(report.body).toMatch(/^### ✅ Done — updated #\d+$/m);

    // The model saw the first conversation: the follow-up's first request carries the first turns.
    const followUp = w.model.agentRequests().slice(agentRequestsBefore);
    const firstOfFollowUp = JSON.stringify(followUp[0]!.body.messages);
    expect(firstOfFollowUp).toContain("add a CONTRIBUTING guide");
    expect(firstOfFollowUp).toContain("Added CONTRIBUTING.md and docs/setup.md");
    expect(firstOfFollowUp).toContain("please add a kindness rule");

    // Same PR, one more commit on the same branch.
    expect(w.gh.state.pulls.filter((p) => p.repo === w.repo.fullName)).toHaveLength(1);
    const branch = `claude/issue-${issueNumber}`;
    const log = await w.gh.git.log(w.repo.fullName, branch);
    expect(log.map((c) => c.subject).slice(0, 2)).toEqual(["Add a kindness rule", "A human's note"]);
    expect(log).toHaveLength(4);
    expect(await w.gh.git.readFile(w.repo.fullName, branch, "NOTES.md")).toBe("from a human\n");
    expect(await w.gh.git.readFile(w.repo.fullName, branch, "CONTRIBUTING.md")).toContain("Be kind.");
    expect(w.gh.unexpected).toEqual([]);
  });

  it("gives another issue its own session, and reports 'no changes' without a PR when Claude changes nothing", async () => {
    const firstSession = String(reportJson(w.botComments(firstIssue)[0]!.body).session_id);
    const before = w.model.agentRequests().length;
    const ev = w.hooks.issueCommentCreated({
      repo: w.repo,
      issue: { title: "Is the README complete?", body: "Check it.", user: "alice" },
      comment: { body: `${w.trigger} check the README`, user: "alice" },
    });
    const issueNumber = ev.payload.issue.number;
    await w.send(ev);
    const report = await w.waitForReport(issueNumber);
    expect(report.body).toMatch(/^### ⚪ Done — no changes, so no pull request$/m);
    expect(reportJson(report.body).session_id).not.toBe(firstSession);
    expect(JSON.stringify(w.model.agentRequests()[before]!.body.messages)).not.toContain("CONTRIBUTING");
    expect(w.gh.state.pulls).toHaveLength(1);
    expect(await w.gh.git.branches(w.repo.fullName)).not.toContain(`claude/issue-${issueNumber}`);
  });
});
