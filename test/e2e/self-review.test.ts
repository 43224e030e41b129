import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import type { GitHubClient } from "../../src/github/octokit-types.ts";
import { isOwnPull, isOwnReviewRefusal, planReview, postReviewOrComment } from "../../src/runs/review.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import { waitFor } from "../support/wait-for.ts";
import { say, tool } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * GitHub refuses APPROVE and REQUEST_CHANGES from a pull request's author — an app's bot user
 * included — with a 422. Asking the bot to review a PR it opened is common, so such a review is
 * posted as COMMENT with the verdict written in its body.
 */

describe("the fake GitHub refuses a review by the pull request's author, as GitHub does", () => {
  let gh: FakeGitHub;
  let api: Octokit;
  let pull = 0;
  const fullName = "acme/self";
  beforeAll(async () => {
    gh = await startFakeGitHub();
    await gh.createRepo({ owner: "acme", name: "self", files: { "README.md": "# self\n" } });
    await gh.git.commit(fullName, { branch: "work", from: "main", files: { "a.txt": "a\n" }, message: "a" });
    pull = (await gh.addPull(fullName, { title: "Bot's PR", head: "work", user: gh.botUser.login })).number;
    const quiet = (): void => {};
    api = new Octokit({ auth: gh.issueToken().token, baseUrl: `${gh.url}/api/v3`, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
  });
  afterAll(async () => {
    await gh?.close();
  });

  it.each([
    ["APPROVE", "Can not approve your own pull request"],
    ["REQUEST_CHANGES", "Can not request changes on your own pull request"],
  ] as const)("%s by the author: 422 with GitHub's REST error body", async (event, message) => {
    const refused = await api.rest.pulls.createReview({ owner: "acme", repo: "self", pull_number: pull, event, body: "verdict" }).then(
      () => null,
      (error: { status: number; response: { data: unknown } }) => error,
    );
    expect(refused?.status).toBe(422);
    expect(refused?.response.data).toMatchObject({ message: "Unprocessable Entity", errors: [message], documentation_url: expect.stringMatching(/^https:\/\/docs\.github\.com\//) });
    expect(gh.state.reviews.filter((r) => r.pullNumber === pull)).toHaveLength(0);
  });

  it("COMMENT by the author is accepted; APPROVE by someone else is too", async () => {
    const comment = await api.rest.pulls.createReview({ owner: "acme", repo: "self", pull_number: pull, event: "COMMENT", body: "looks fine" });
    expect(comment.data.state).toBe("COMMENTED");
    await gh.git.commit(fullName, { branch: "theirs", from: "main", files: { "b.txt": "b\n" }, message: "b" });
    const theirs = (await gh.addPull(fullName, { title: "Alice's PR", head: "theirs", user: "alice" })).number;
    const approve = await api.rest.pulls.createReview({ owner: "acme", repo: "self", pull_number: theirs, event: "APPROVE", body: "ok" });
    expect(approve.data.state).toBe("APPROVED");
  });
});

describe("planReview on the app's own pull request", () => {
  const review = (verdict: "approve" | "request_changes" | "comment") => ({ summary: "S.", verdict, comments: [] });
  it("keeps the verdict as the event on someone else's PR, and a comment verdict unchanged on its own", () => {
    expect(planReview(review("approve"), [], "footer").event).toBe("APPROVE");
    expect(planReview(review("request_changes"), [], "footer", { ownPull: false }).event).toBe("REQUEST_CHANGES");
    const comment = planReview(review("comment"), [], "footer", { ownPull: true });
    expect(comment).toMatchObject({ event: "COMMENT", body: "S.\n\nfooter" });
  });
  it("recognises the app's PR by its author, whatever the case; an unknown author is not the app", () => {
    expect(isOwnPull({ author: "Claude-Sandbox-Bot[bot]" }, "claude-sandbox-bot[bot]")).toBe(true);
    expect(isOwnPull({ author: "alice" }, "claude-sandbox-bot[bot]")).toBe(false);
    expect(isOwnPull({ author: undefined }, "claude-sandbox-bot[bot]")).toBe(false);
    expect(isOwnPull(null, "claude-sandbox-bot[bot]")).toBe(false);
  });
});

const reviewReply = (verdict: "approve" | "request_changes"): Reply => ({
  content: [tool("StructuredOutput", { summary: `Summary for ${verdict}.`, verdict, comments: [] })],
});

let verdict: "approve" | "request_changes" = "approve";
function script(req: AgentRequest): Reply {
  const asked = JSON.stringify(req.messages);
  if (asked.includes("Review this pull request") || asked.includes("do not modify any file")) return reviewReply(verdict);
  return { content: [say("nothing to do")] };
}

describe("a review of the app's own pull request", () => {
  let w: World;
  let pr = 0;
  beforeAll(async () => {
    w = await startWorld({ script });
    await w.gh.git.commit(w.repo.fullName, { branch: "claude/issue-1", from: "main", files: { "src/index.js": "export const answer = 42;\n" }, message: "Fix the answer" });
    pr = (await w.gh.addPull(w.repo.fullName, { title: "Fix the answer", head: "claude/issue-1", user: w.gh.botUser.login, body: "Opened by the bot." })).number;
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it.each([
    ["approve", "APPROVE"],
    ["request_changes", "REQUEST_CHANGES"],
  ] as const)("a %s verdict posts as COMMENT, with the verdict in the body", async (v, refusedEvent) => {
    verdict = v;
    const before = w.gh.state.reviews.length;
    const reports = w.botComments(pr).length;
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: pr, comment: { body: `${w.trigger} review`, user: "alice" } }));
    const report = await w.waitForReport(pr, reports + 1);
    expect(report.body).toMatch(/^### ✅ Reviewed/m);
    const posted = await waitFor("the review", () => w.gh.state.reviews.slice(before).find((r) => r.user.login === w.gh.botUser.login));
    expect(posted.event).toBe("COMMENT");
    expect(posted.event).not.toBe(refusedEvent);
    expect(posted.body).toContain(`Summary for ${v}.`);
    expect(posted.body).toMatch(v === "approve" ? /Verdict: \*\*approve\*\*/ : /Verdict: \*\*request changes\*\*/);
    expect(posted.body).toMatch(/opened by the app/i);
  });
});

describe("a review GitHub still refuses as the author's own", () => {
  let gh: FakeGitHub;
  let client: GitHubClient;
  const where = { owner: "acme", repo: "own" };
  beforeAll(async () => {
    gh = await startFakeGitHub();
    await gh.createRepo({ owner: "acme", name: "own", files: { "README.md": "# own\n" } });
    const quiet = (): void => {};
    client = new Octokit({ auth: gh.issueToken().token, baseUrl: `${gh.url}/api/v3`, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } }) as unknown as GitHubClient;
  });
  afterAll(async () => {
    await gh?.close();
  });
  const verdict = { summary: "Looks right.", verdict: "approve" as const, comments: [] };

  it("is posted once more as a COMMENT stating the verdict (the author was not known beforehand)", async () => {
    await gh.git.commit("acme/own", { branch: "mine", from: "main", files: { "a.txt": "a\n" }, message: "a" });
    const pull = await gh.addPull("acme/own", { title: "Bot's PR", head: "mine", user: gh.botUser.login });
    const head = (await gh.git.log("acme/own", "mine"))[0]!.sha;
    const posted = await postReviewOrComment(client, where, pull.number, head, planReview(verdict, [], "footer"), () => planReview(verdict, [], "footer", { ownPull: true }));
    expect(posted.plan.event).toBe("COMMENT");
    const reviews = gh.state.reviews.filter((r) => r.pullNumber === pull.number);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ state: "COMMENTED" });
    expect(reviews[0]!.body).toContain("Verdict: **approve**");
  });

  it("other refusals are not retried", async () => {
    const error = await postReviewOrComment(client, where, 9999, "0".repeat(40), planReview(verdict, [], "footer"), () => {
      throw new Error("must not re-plan");
    }).catch((e: { status?: number }) => e);
    expect((error as { status?: number }).status).toBe(404);
    expect(isOwnReviewRefusal({ status: 422, response: { data: { errors: ["Can not approve your own pull request"] } } })).toBe(true);
    expect(isOwnReviewRefusal({ status: 422, response: { data: { errors: ["Unprocessable"] } } })).toBe(false);
  });
});
