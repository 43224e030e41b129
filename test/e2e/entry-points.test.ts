import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import { waitFor } from "../support/wait-for.ts";
import { cwdOf, planReply, say, tool } from "./script-helpers.ts";
import { reportJson, startWorld, type World } from "./harness.ts";

/**
 * Every entry point, end to end: a signed webhook in; what GitHub and the git server hold out.
 * The scripted model answers by what the prompt asks, so each test can pick its behaviour.
 */

const CONFIG = `assignees: [claude-helper]
reviewers: [robo-reviewer, acme/ai-reviewers]
`;

function isReview(req: AgentRequest): boolean {
  return JSON.stringify(req.messages).includes("Review this pull request") || JSON.stringify(req.messages).includes("do not modify any file");
}

/** Review mode: one structured answer with a comment on a diff line and one outside the diff. */
const REVIEW: Reply = {
  content: [
    tool("StructuredOutput", {
      summary: "The change is small and clear.",
      verdict: "comment",
      comments: [
        { path: "src/feature.js", line: 1, side: "RIGHT", body: "Consider naming this export." },
        { path: "README.md", line: 1, side: "RIGHT", body: "The README could mention the feature." },
      ],
    }),
  ],
};

let slow = false;
function script(req: AgentRequest): Reply | Promise<Reply> {
  if (isReview(req)) return REVIEW;
  const prompt = req.lastUserText;
  if (slow && prompt.includes("take your time")) return { content: [say("still thinking")], delayMs: 30_000 };
  // The request comes last in the prompt, after the conversation that may quote earlier notes.
  const note = [...prompt.matchAll(/note: (\w+)/g)].at(-1)?.[1] ?? "default";
  return planReply(
    [
      () => [tool("Bash", { command: `echo ${note} >> notes.txt && git add -A && git commit -qm 'Note ${note}'`, description: "note" })],
      (r) => [tool("Read", { file_path: `${cwdOf(r)}/notes.txt` })],
      () => [say(`Wrote the ${note} note.`)],
    ],
    req,
  );
}

describe("entry points", () => {
  let w: World;
  let pr = 0;
  beforeAll(async () => {
    w = await startWorld({ script, files: { ".github/claude-sandbox-bot.yml": CONFIG } });
    w.gh.setPermission(w.repo.fullName, "claude-helper", "write");
    await w.gh.git.commit(w.repo.fullName, { branch: "feature", from: "main", files: { "src/feature.js": "export const feature = true;\n" }, message: "Add the feature" });
    pr = (await w.gh.addPull(w.repo.fullName, { title: "Add the feature", head: "feature", user: "alice", body: "Please review." })).number;
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  const featureLog = () => w.gh.git.log(w.repo.fullName, "feature");

  it("a mention in a PR conversation commits to the PR's branch", async () => {
    const before = (await featureLog()).length;
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: pr, comment: { body: `${w.trigger} add a note: pr`, user: "alice" } });
    await w.send(ev);
    const report = await w.waitForReport(pr);
    expect(report.body).toMatch(new RegExp(`^### ✅ Done — updated #${pr}$`, "m"));
    expect(await featureLog()).toHaveLength(before + 1);
    expect(await w.gh.git.readFile(w.repo.fullName, "feature", "notes.txt")).toBe("pr\n");
    expect(w.gh.state.pulls.filter((p) => p.repo === w.repo.fullName)).toHaveLength(1);
    // The PR's context reached the model: branches, the changed file and its diff.
    const prompt = JSON.stringify(w.model.agentRequests().at(-1)!.body.messages);
    expect(prompt).toContain("from `feature` into `main`");
    expect(prompt).toContain("src/feature.js (added, +1");
  });

  it("a mention on a line in a review answers in that review thread and commits to the PR", async () => {
    const ev = await w.hooks.pullRequestReviewCommentCreated({ repo: w.repo, pull: pr, comment: { path: "src/feature.js", line: 1, body: `${w.trigger} add a note: line`, user: "alice" } });
    await w.send(ev);
    expect(w.gh.state.reactions.some((r) => r.subject === "pull_request_review_comment" && r.commentId === ev.comment.id && r.content === "eyes")).toBe(true);
    const reply = await waitFor("the report in the review thread", () =>
      w.gh.state.reviewComments.find((c) => c.inReplyToId === ev.comment.id && c.user.login === w.gh.botUser.login && /^### ✅/m.test(c.body)),
    90_000);
    expect(reply.history.length).toBeGreaterThanOrEqual(1);
    expect(await w.gh.git.readFile(w.repo.fullName, "feature", "notes.txt")).toBe("pr\nline\n");
    const prompt = JSON.stringify(w.model.agentRequests().at(-1)!.body.messages);
    expect(prompt).toContain("`src/feature.js`, line 1 (new side)");
    expect(prompt).toContain("<diff_hunk>");
    // The PR thread's session continued: the model saw the earlier PR conversation request.
    expect(prompt).toContain("add a note: pr");
  });

  it("a mention in a submitted review's body runs, answering in the PR conversation", async () => {
    const ev = await w.hooks.pullRequestReviewSubmitted({ repo: w.repo, pull: pr, review: { body: `${w.trigger} add a note: review`, user: "alice" } });
    await w.send(ev);
    await w.waitForReport(pr, 2);
    expect(await w.gh.git.readFile(w.repo.fullName, "feature", "notes.txt")).toBe("pr\nline\nreview\n");
  });

  it("a new issue that mentions the bot runs with the issue as the task and opens a PR", async () => {
    const ev = w.hooks.issuesOpened({ repo: w.repo, issue: { title: "Notes please", body: `${w.trigger} add a note: opened`, user: "alice" } });
    await w.send(ev);
    const report = await w.waitForReport(ev.issue.number);
    expect(report.body).toMatch(/^### ✅ Done — opened #\d+$/m);
    expect(w.gh.state.reactions.some((r) => r.subject === "issue" && r.issueNumber === ev.issue.number && r.content === "eyes")).toBe(true);
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${ev.issue.number}`, "notes.txt")).toBe("opened\n");
  });

  it("an issue assigned to a configured login runs; one assigned to someone else does not", async () => {
    const other = w.hooks.issuesAssigned({ repo: w.repo, issue: { title: "Not for the bot", body: "note: no", user: "alice" }, assignee: "carol", sender: "alice" });
    await w.send(other);
    const ev = w.hooks.issuesAssigned({ repo: w.repo, issue: { title: "For the bot", body: "Please add a note: assigned", user: "alice" }, assignee: "claude-helper", sender: "alice" });
    await w.send(ev);
    await w.waitForReport(ev.payload.issue.number);
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${ev.payload.issue.number}`, "notes.txt")).toBe("assigned\n");
    expect(w.botComments(other.payload.issue.number)).toEqual([]);
  });

  it("the fix label runs with the issue as the task, is removed at the end, and runs again when re-added", async () => {
    const ev = w.hooks.issuesLabeled({ repo: w.repo, issue: { title: "Labelled", body: "Please add a note: label", user: "alice" }, label: "claude-fix", sender: "alice" });
    const n = ev.payload.issue.number;
    await w.send(ev);
    await w.waitForReport(n);
    await waitFor("the label removed", () => w.gh.state.labels.some((l) => l.issueNumber === n && l.name === "claude-fix" && l.action === "removed"));
    expect(w.gh.state.issues.find((i) => i.repo === w.repo.fullName && i.number === n)!.labels).not.toContain("claude-fix");
    const again = w.hooks.issuesLabeled({ repo: w.repo, issue: n, label: "claude-fix", sender: "alice" });
    await w.send(again);
    await w.waitForReport(n, 2);
    expect(await w.gh.git.log(w.repo.fullName, `claude/issue-${n}`)).toHaveLength(3);
  });

  it("a review requested from a configured reviewer posts ONE review, inline where it can, and pushes nothing", async () => {
    const headBefore = (await featureLog())[0]!.sha;
    const reviewsBefore = w.gh.state.reviews.length;
    const ev = await w.hooks.pullRequestReviewRequested({ repo: w.repo, pull: pr, reviewer: "robo-reviewer", sender: "alice" });
    await w.send(ev);
    const report = await w.waitForReport(pr, 3);
    expect(report.body).toMatch(/^### ✅ Reviewed — comment$/m);
    const reviews = w.gh.state.reviews.slice(reviewsBefore).filter((r) => r.user.login === w.gh.botUser.login);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]!.event).toBe("COMMENT");
    expect(reviews[0]!.body).toContain("The change is small and clear.");
    // README.md is not in the diff: its comment moved into the summary instead of failing the review.
    expect(reviews[0]!.body).toContain("`README.md` line 1: The README could mention the feature.");
    const inline = w.gh.state.reviewComments.filter((c) => c.reviewId === reviews[0]!.id);
    expect(inline.map((c) => [c.path, c.line, c.body])).toEqual([["src/feature.js", 1, "Consider naming this export."]]);
    expect((await featureLog())[0]!.sha).toBe(headBefore);
    expect(reportJson(report.body)).toHaveProperty("structured_output");
  });

  it("`@bot review` and the review label also ask for a review; the label is removed", async () => {
    const before = w.gh.state.reviews.length;
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: pr, comment: { body: `${w.trigger} review`, user: "alice" } }));
    await w.waitForReport(pr, 4);
    const labeled = await w.hooks.pullRequestReviewRequested({ repo: w.repo, pull: pr, reviewer: "nobody", sender: "alice" });
    const payload = labeled.payload as unknown as Record<string, unknown>;
    payload.action = "labeled";
    payload.label = { id: 1, name: "claude-review", color: "ededed", default: false };
    delete payload.requested_reviewer;
    w.gh.state.pulls.find((p) => p.number === pr)!.labels.push("claude-review");
    await w.send(labeled);
    await w.waitForReport(pr, 5);
    expect(w.gh.state.reviews.length - before).toBe(2);
    await waitFor("the review label removed", () => w.gh.state.labels.some((l) => l.issueNumber === pr && l.name === "claude-review" && l.action === "removed"));
  });

  it("a fork's pull request is never pushed to: the change comes back as a patch", async () => {
    await w.gh.git.commit(w.repo.fullName, { branch: "fork-work", from: "main", files: { "fork.txt": "from the fork\n" }, message: "Fork work" });
    const forkPr = (await w.gh.addPull(w.repo.fullName, { title: "From a fork", head: "fork-work", user: "mallory", fork: "mallory/widgets" })).number;
    const branchesBefore = await w.gh.git.branches(w.repo.fullName);
    const pushesBefore = w.gh.gitRequests.filter((g) => g.service === "git-receive-pack").length;
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: forkPr, comment: { body: `${w.trigger} add a note: fork`, user: "alice" } }));
    const report = await w.waitForReport(forkPr);
    expect(report.body).toMatch(/^### ✅ Done — a patch for the fork \(nothing pushed\)$/m);
    expect(report.body).toContain("the bot never pushes to forks");
    expect(report.body).toMatch(/```diff\n[\s\S]*\+fork\n/);
    expect(await w.gh.git.branches(w.repo.fullName)).toEqual(branchesBefore);
    expect(w.gh.gitRequests.filter((g) => g.service === "git-receive-pack").length).toBe(pushesBefore);
    // Claude worked on the fork's code (fetched from refs/pull/N/head).
    expect(JSON.stringify(w.model.agentRequests().at(-1)!.body.messages)).toContain("from the fork");
  });

  it("edited comments, closed issues and unrelated labels start nothing", async () => {
    const requestsBefore = w.model.agentRequests().length;
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "quiet", body: "x", user: "alice" }, comment: { body: "nothing here", user: "alice" } });
    const n = ev.payload.issue.number;
    await w.send(ev);
    await w.send(w.hooks.issueCommentEdited({ repo: w.repo, commentId: ev.comment.id, body: `${w.trigger} add a note: edited`, sender: "alice" }));
    await w.send(w.hooks.issuesLabeled({ repo: w.repo, issue: n, label: "bug", sender: "alice" }));
    const closed = w.hooks.issuesOpened({ repo: w.repo, issue: { title: "closing", body: `${w.trigger} add a note: closed`, user: "alice" } });
    (closed.payload as unknown as Record<string, unknown>).action = "closed";
    await w.send(closed);
    await new Promise((r) => setTimeout(r, 1500));
    expect(w.botComments(n)).toEqual([]);
    expect(w.botComments(closed.issue.number)).toEqual([]);
    expect(w.model.agentRequests().length).toBe(requestsBefore);
    expect(w.gh.unexpected).toEqual([]);
  });
});

describe("commands and repository configuration", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("status and stop act on the thread's running run; the report says canceled and nothing is pushed", async () => {
    slow = true;
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Slow", body: "x", user: "alice" }, comment: { body: `${w.trigger} take your time`, user: "alice" } });
    const n = ev.payload.issue.number;
    await w.send(ev);
    await waitFor("Claude to be working", () => w.botComments(n)[0]?.history.some((b) => /running Claude Code/.test(b)) || /running Claude Code/.test(w.botComments(n)[0]?.body ?? ""), 30_000);
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: n, comment: { body: `${w.trigger} status`, user: "alice" } }));
    const status = await waitFor("the status reply", () => w.botComments(n).find((c) => c.body.startsWith("@alice In this thread:")));
    expect(status.body).toMatch(/run \d+: running \(agent\), asked by @alice/);
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: n, comment: { body: `${w.trigger} stop`, user: "alice" } }));
    const report = await w.waitForReport(n, 1, 30_000);
    expect(report.body).toMatch(/^### ⏹️ Canceled$/m);
    expect(report.body).toContain("Nothing from this run was pushed");
    expect(await w.gh.git.branches(w.repo.fullName)).not.toContain(`claude/issue-${n}`);
    slow = false;
  });

  it("reset makes the next request start a new session", async () => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Sessions", body: "x", user: "alice" }, comment: { body: `${w.trigger} add a note: one`, user: "alice" } });
    const n = ev.payload.issue.number;
    await w.send(ev);
    const first = String(reportJson((await w.waitForReport(n)).body).session_id);
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: n, comment: { body: `${w.trigger} reset`, user: "alice" } }));
    await waitFor("the reset reply", () => w.botComments(n).find((c) => c.body.includes("starts a new Claude session")));
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: n, comment: { body: `${w.trigger} add a note: two`, user: "alice" } }));
    const second = await w.waitForReport(n, 3);
    expect(String(reportJson(second.body).session_id)).not.toBe(first);
    expect(second.body).toContain("(new)");
    // Same branch: the thread keeps its work.
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${n}`, "notes.txt")).toBe("one\ntwo\n");
  });

  it("an invalid configuration file gets a reply naming the key and no run", async () => {
    await w.gh.git.commit(w.repo.fullName, { branch: "main", files: { ".github/claude-sandbox-bot.yml": "lables:\n  fix: x\nmaxTurns: lots\n" }, message: "Break the config" });
    // The bot caches the file for a minute; a new repository sees it at once.
    const repo = await w.gh.createRepo({ owner: "acme", name: "broken", files: { ".github/claude-sandbox-bot.yml": "lables:\n  fix: x\nmaxTurns: lots\n" } });
    w.gh.setPermission(repo.fullName, "alice", "write");
    const requests = w.model.agentRequests().length;
    const ev = w.hooks.issueCommentCreated({ repo, issue: { title: "t", body: "x", user: "alice" }, comment: { body: `${w.trigger} add a note: never`, user: "alice" } });
    await w.send(ev);
    const reply = await waitFor("the config reply", () => w.gh.state.comments.find((c) => c.repo === repo.fullName && c.user.login === w.gh.botUser.login));
    expect(reply.body).toContain("The run was not started");
    expect(reply.body).toContain("lables");
    expect(reply.body).toContain("maxTurns");
    expect(w.model.agentRequests().length).toBe(requests);
  });
});
