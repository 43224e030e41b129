import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fitBody, GITHUB_BODY_MAX_CHARS } from "../../src/github/body-limit.ts";
import { editComment, postComment } from "../../src/github/comment-target.ts";
import type { GitHubClient } from "../../src/github/octokit-types.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import type { RepoInfo } from "../support/fake-github/types.ts";

/** Bodies the bot sends GitHub fit GitHub's 65,536-character limit; the fake GitHub enforces it as GitHub does. */

let gh: FakeGitHub;
let repo: RepoInfo;
let client: Octokit;
const quiet = (): void => {};

beforeAll(async () => {
  gh = await startFakeGitHub();
  repo = await gh.createRepo({ owner: "acme", name: "limits", files: { "README.md": "# limits\n" } });
  client = new Octokit({ auth: gh.issueToken().token, baseUrl: `${gh.url}/api/v3`, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
});
afterAll(async () => gh?.close());

const where = () => ({ owner: repo.owner, repo: repo.name });
const huge = (n: number) => Array.from({ length: Math.ceil(n / 50) }, (_, i) => `line ${i} `.padEnd(49, "x")).join("\n").slice(0, n);

describe("fitBody", () => {
  it("leaves a body within the limit alone", () => {
    expect(fitBody("short")).toBe("short");
    const exact = "a".repeat(GITHUB_BODY_MAX_CHARS);
    expect(fitBody(exact)).toBe(exact);
  });

  it("cuts a 200 KB body to the limit and says so", () => {
    const out = fitBody(huge(200_000));
    expect(out.length).toBeLessThanOrEqual(GITHUB_BODY_MAX_CHARS);
    expect(out).toMatch(/truncated: [\d,]+ more characters did not fit GitHub's 65,536-character limit/);
    expect(out.startsWith("line 0 ")).toBe(true);
  });

  it("closes a code fence the cut leaves open, so the note is not swallowed", () => {
    const out = fitBody(`intro\n\`\`\`\n${huge(100_000)}\n\`\`\`\n`);
    expect(out.length).toBeLessThanOrEqual(GITHUB_BODY_MAX_CHARS);
    expect(out).toMatch(/\n```\n\n… _\(truncated/);
  });
});

describe("the fake GitHub's body limit", () => {
  it("answers an over-long comment with GitHub's 422 Validation Failed", async () => {
    const issue = gh.addIssue(repo.fullName, { title: "t", body: "b", user: "alice" });
    const err = await client.rest.issues.createComment({ ...where(), issue_number: issue.number, body: "x".repeat(GITHUB_BODY_MAX_CHARS + 1) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 422, response: { data: { message: "Validation Failed", errors: [{ resource: "IssueComment", field: "body", code: "custom" }] } } });
    gh.clearLogs();
  });
});

describe("comments the bot sends", () => {
  it("posts and edits a 200 KB comment truncated to GitHub's limit instead of failing", async () => {
    const issue = gh.addIssue(repo.fullName, { title: "t", body: "b", user: "alice" });
    const target = { type: "issue" as const, issueNumber: issue.number };
    const id = await postComment(client as unknown as GitHubClient, where(), target, huge(200_000));
    const posted = gh.state.comments.find((c) => c.id === id)!;
    expect(posted.body.length).toBeLessThanOrEqual(GITHUB_BODY_MAX_CHARS);
    expect(posted.body).toMatch(/truncated/);
    await editComment(client as unknown as GitHubClient, where(), target, id, huge(300_000));
    expect(gh.state.comments.find((c) => c.id === id)!.body).toMatch(/truncated: [\d,]+ more/);
    expect(gh.unexpected).toEqual([]);
  });
});
