import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeFailures, fetchCiChecks, fetchJobLogTail, MAX_LOG_TAIL_BYTES } from "../../src/github/ci-logs.ts";
import type { GitHubClient } from "../../src/github/octokit-types.ts";
import { summarizeChecks } from "../../src/triggers/ci-trigger.ts";
import { createRedactor } from "../../src/util/redact.ts";
import { addActionsCheck, addCommitStatus } from "../support/ci-fixtures.ts";
import { startFakeGitHub, type FakeGitHub, type RepoInfo } from "../support/fake-github/index.ts";

/** The CI reads against the fake GitHub's REST shapes (held to GitHub's OpenAPI description), and the log download's host rule. */

let gh: FakeGitHub;
let repo: RepoInfo;
let client: GitHubClient;
let sha = "";
let elsewhere: Server;
let elsewhereHits = 0;
const where = () => ({ owner: repo.owner, repo: repo.name });

beforeAll(async () => {
  gh = await startFakeGitHub();
  repo = await gh.createRepo({ owner: "acme", name: "ci" });
  sha = (await gh.git.log(repo.fullName, "main"))[0]!.sha;
  client = new ProbotOctokit({ auth: { token: gh.issueToken().token }, baseUrl: `${gh.url}/api/v3` }) as unknown as GitHubClient;
  elsewhere = createServer((_req, res) => {
    elsewhereHits++;
    res.end("log from somewhere else");
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  await gh?.close();
  elsewhere?.close();
});

describe("CI reads", () => {
  it("lists check runs, suites and statuses, and describes the failed ones with annotations and the log's tail", async () => {
    const long = `${"x".repeat(100)}\n`.repeat(400);
    const failed = addActionsCheck(gh, { repo: repo.fullName, sha, name: "CI / test", conclusion: "failure", log: `${long}2026-01-01T00:00:00.1234567Z \u001b[31mFAIL\u001b[0m the end\n`, annotations: [{ path: "a.js", line: 2, message: "boom", title: "Test" }] });
    addActionsCheck(gh, { repo: repo.fullName, sha, name: "CI / lint", conclusion: "success" });
    addCommitStatus(gh, { repo: repo.fullName, sha, context: "ci/other", state: "failure" });
    const checks = await fetchCiChecks(client, where(), sha);
    expect(checks.checkRuns.map((r) => [r.name, r.appSlug])).toEqual(expect.arrayContaining([["CI / test", "github-actions"], ["CI / lint", "github-actions"]]));
    expect(checks.suites).toEqual([{ status: "completed", appSlug: "github-actions", runCount: 2 }]);
    expect(checks.statuses).toEqual([{ context: "ci/other", state: "failure", url: null }]);

    const summary = summarizeChecks(checks, gh.appSlug, { onlyChecks: [], ignoreChecks: [] });
    const described = await describeFailures(client, where(), summary.failed, createRedactor([]));
    const test = described.find((d) => d.name === "CI / test")!;
    expect(test.annotations).toEqual([{ path: "a.js", line: 2, level: "failure", message: "Test: boom" }]);
    expect(test.logTail!.endsWith("FAIL the end")).toBe(true);
    expect(Buffer.byteLength(test.logTail!)).toBeLessThanOrEqual(MAX_LOG_TAIL_BYTES);
    // Whole lines only: the range's cut first line is dropped.
    expect(test.logTail!.split("\n").slice(0, -1).every((line) => line === "x".repeat(100))).toBe(true);
    expect(described.find((d) => d.name === "ci/other")).toMatchObject({ conclusion: "failure", logTail: null, annotations: [] });
    expect(gh.requests.some((r) => r.path === `/repos/${repo.fullName}/actions/jobs/${failed.id}/logs` && r.status === 302)).toBe(true);
    expect(gh.unexpected).toEqual([]);
  });

  it("never follows the log redirect to a host that is not GitHub's", async () => {
    const check = addActionsCheck(gh, { repo: repo.fullName, sha, name: "CI / evil", conclusion: "failure", log: "secret log" });
    const log = gh.state.jobLogs.find((l) => l.jobId === check.id)!;
    log.redirectTo = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/steal`;
    expect(await fetchJobLogTail(client, where(), check.id)).toBeNull();
    expect(elsewhereHits).toBe(0);
  });
});
