import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import type { CheckRun } from "../support/fake-github/types.ts";
import { waitFor } from "../support/wait-for.ts";
import { planReply, say, tool } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * A run shows as a check run on the head commit where GitHub users look (the PR's checks tab,
 * branch protection): in progress while it works, then success, neutral, failure or cancelled;
 * a commit the run pushed gets its own; one per run; and a run whose report could not be posted
 * never shows green.
 */

const PUBLIC_URL = "https://bot.example.com";
let onRequest: (req: AgentRequest) => Reply | Promise<Reply> = () => ({ content: [say("Nothing to change.")] });

const addNote = (req: AgentRequest) =>
  planReply([() => [tool("Bash", { command: "echo note >> notes.txt && git add -A && git commit -qm 'Add a note'", description: "note" })], () => [say("Added a note.")]], req);

describe("check runs", () => {
  let w: World;
  let pr = 0;
  const runsOf = (runId: number): CheckRun[] => w.gh.state.checkRuns.filter((c) => c.externalId === String(runId));
  const headOf = async (branch: string) => (await w.gh.git.log(w.repo.fullName, branch))[0]!.sha;
  const lastRunId = () => Math.max(...w.gh.state.checkRuns.map((c) => Number(c.externalId)));
  const newPull = async (branch: string) => {
    await w.gh.git.commit(w.repo.fullName, { branch, from: "main", files: { [`${branch}.txt`]: "x\n" }, message: `Start ${branch}` });
    return (await w.gh.addPull(w.repo.fullName, { title: `Work on ${branch}`, head: branch, user: "alice" })).number;
  };
  const mention = async (issue: number, body: string) => w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue, comment: { body: `${w.trigger} ${body}`, user: "alice" } }));

  beforeAll(async () => {
    // PUBLIC_URL would also point the sandboxes at a model gateway there: off, the scripted model is reached directly.
    w = await startWorld({ script: (req) => onRequest(req), env: { PUBLIC_URL } });
    pr = await newPull("feature");
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("an issue run that opens a PR: one completed success check run on the pushed head, linking to the dashboard", async () => {
    onRequest = addNote;
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Notes", body: "x", user: "alice" }, comment: { body: `${w.trigger} add a note`, user: "alice" }, });
    await w.send(ev);
    const report = await w.waitForReport(ev.payload.issue.number);
    expect(report.body).toMatch(/^### ✅ Done — opened #\d+$/m);
    const head = await headOf(`claude/issue-${ev.payload.issue.number}`);
    const runs = await waitFor("the check run", () => (w.gh.state.checkRuns.some((c) => c.headSha === head && c.status === "completed") ? w.gh.state.checkRuns.filter((c) => c.headSha === head) : null));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ name: "claude-sandbox-bot", status: "completed", conclusion: "success", output: { title: expect.stringMatching(/^✅ Done — opened #\d+$/) } });
    expect(runs[0]!.detailsUrl).toBe(`${PUBLIC_URL}/dashboard/runs/${runs[0]!.externalId}`);
    expect(runs[0]!.output.summary).toContain("Pull request: [#");
    expect(w.gh.unexpected).toEqual([]);
  });

  it("a PR run that pushes: in progress on the PR's head as phases pass, success there, and the pushed commit gets its own", async () => {
    onRequest = addNote;
    const before = await headOf("feature");
    await mention(pr, "add a note");
    await w.waitForReport(pr);
    const after = await headOf("feature");
    expect(after).not.toBe(before);
    const runs = await waitFor("both check runs", () => (w.gh.state.checkRuns.filter((c) => c.headSha === after).length ? runsOf(lastRunId()) : null));
    expect(runs.map((c) => [c.headSha, c.status, c.conclusion])).toEqual([
      [before, "completed", "success"],
      [after, "completed", "success"],
    ]);
    // Created in progress, edited as phases passed (coalesced: a handful of edits, not a storm), then completed.
    const history = runs[0]!.history as Array<{ status?: string; output?: { title: string } }>;
    expect(history[0]).toMatchObject({ status: "in_progress", output: { title: expect.stringMatching(/^Working on it/) } });
    expect(history.length).toBeLessThanOrEqual(6);
    expect(history.at(-1)).toMatchObject({ status: "completed", conclusion: "success" });
    expect(w.gh.unexpected).toEqual([]);
  });

  it("no changes → neutral", async () => {
    onRequest = () => ({ content: [say("Nothing to change.")] });
    const head = await headOf("feature");
    await mention(pr, "check it");
    const report = await w.waitForReport(pr, 2);
    expect(report.body).toMatch(/^### ⚪ Done — no changes/m);
    const runs = await waitFor("the neutral check run", () => w.gh.state.checkRuns.filter((c) => c.headSha === head && c.conclusion === "neutral").at(0));
    expect(runsOf(Number(runs.externalId))).toHaveLength(1);
    expect(runs.output.title).toBe("⚪ Done — no changes, so no pull request");
  });

  it("a failing phase → failure, the summary in the report's words", async () => {
    onRequest = () => ({ error: { status: 400, type: "invalid_request_error", message: "model claude-e2e-test is not available to this key" } });
    const head = await headOf("feature");
    await mention(pr, "do it");
    const report = await w.waitForReport(pr, 3);
    expect(report.body).toMatch(/^### ❌ Failed in agent/m);
    const run = await waitFor("the failed check run", () => w.gh.state.checkRuns.find((c) => c.headSha === head && c.conclusion === "failure"));
    expect(run.output.title).toBe("❌ Failed in agent: running Claude Code");
    expect(run.output.summary).toContain("model claude-e2e-test is not available to this key");
    expect(runsOf(Number(run.externalId))).toHaveLength(1);
  });

  it("@bot stop → cancelled", async () => {
    onRequest = () => ({ content: [say("still thinking")], delayMs: 30_000 });
    const n = await newPull("slow");
    const head = await headOf("slow");
    await mention(n, "take your time");
    await waitFor("the check run in progress", () => w.gh.state.checkRuns.find((c) => c.headSha === head && c.status === "in_progress"), 30_000);
    await mention(n, "stop");
    const report = await w.waitForReport(n, 1, 30_000);
    expect(report.body).toMatch(/^### ⏹️ Canceled$/m);
    const run = await waitFor("the cancelled check run", () => w.gh.state.checkRuns.find((c) => c.headSha === head && c.status === "completed"));
    expect(run).toMatchObject({ conclusion: "cancelled", output: { title: "⏹️ Canceled" } });
  });

  it("a report that could not be posted → failure, and the check run says what happened", async () => {
    const n = await newPull("lost");
    const head = await headOf("lost");
    onRequest = (req) => {
      // The progress comment is gone by the time Claude answers: every edit of it, the report included, is refused (404).
      const comments = w.gh.state.comments;
      for (let i = comments.length - 1; i >= 0; i--) if (comments[i]!.issueNumber === n && comments[i]!.user.login === w.gh.botUser.login) comments.splice(i, 1);
      return { content: [say("Nothing to change.")] };
    };
    await mention(n, "check it");
    const run = await waitFor("the check run to complete", () => w.gh.state.checkRuns.find((c) => c.headSha === head && c.status === "completed"), 60_000);
    expect(run.conclusion).toBe("failure");
    expect(run.output.title).toBe("⚪ Done — no changes, so no pull request (the report could not be posted)");
    expect(run.output.summary).toContain("this check run is the run's only report");
    expect(w.gh.requests.some((r) => r.method === "PATCH" && /\/issues\/comments\//.test(r.path) && r.status === 404)).toBe(true);
  }, 90_000);

  it("checkRun.enabled: false → no check run", async () => {
    const quiet = await w.gh.createRepo({ owner: "acme", name: "quiet", files: { "README.md": "# Quiet\n", ".github/claude-sandbox-bot.yml": "checkRun:\n  enabled: false\n" } });
    w.gh.setPermission(quiet.fullName, "alice", "write");
    await w.gh.git.commit(quiet.fullName, { branch: "topic", from: "main", files: { "t.txt": "t\n" }, message: "Topic" });
    const n = (await w.gh.addPull(quiet.fullName, { title: "Topic", head: "topic", user: "alice" })).number;
    onRequest = addNote;
    await w.send(w.hooks.issueCommentCreated({ repo: quiet, issue: n, comment: { body: `${w.trigger} add a note`, user: "alice" } }));
    const report = await waitFor("the report", () => w.gh.state.comments.find((c) => c.repo === quiet.fullName && c.issueNumber === n && /^### ✅/m.test(c.body)), 90_000);
    expect(report.body).toMatch(/^### ✅ Done — updated #\d+$/m);
    expect(w.gh.state.checkRuns.filter((c) => c.repo === quiet.fullName)).toEqual([]);
    expect(w.gh.requests.filter((r) => r.path.startsWith(`/repos/${quiet.fullName}/check-runs`))).toEqual([]);
  }, 90_000);
});

describe("check runs: a pull request's run that fails before it reads the thread", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ env: { LOCAL_SANDBOX_ROOT: "/etc/hostname/cannot-be-a-directory" } });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("still shows the failure on the pull request's head", async () => {
    await w.gh.git.commit(w.repo.fullName, { branch: "topic", from: "main", files: { "t.txt": "t\n" }, message: "Topic" });
    const n = (await w.gh.addPull(w.repo.fullName, { title: "Topic", head: "topic", user: "alice" })).number;
    const head = (await w.gh.git.log(w.repo.fullName, "topic"))[0]!.sha;
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: n, comment: { body: `${w.trigger} do it`, user: "alice" } }));
    const report = await w.waitForReport(n);
    expect(report.body).toMatch(/^### ❌ Failed in sandbox/m);
    const run = await waitFor("the check run", () => w.gh.state.checkRuns.find((c) => c.headSha === head && c.status === "completed"));
    expect(run).toMatchObject({ conclusion: "failure", output: { title: "❌ Failed in sandbox: starting the sandbox" } });
    expect(w.gh.state.checkRuns).toHaveLength(1);
    expect(w.gh.unexpected).toEqual([]);
  });
});
