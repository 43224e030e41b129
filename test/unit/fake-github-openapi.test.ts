// The fake GitHub holds every REST request to GitHub's OpenAPI description (issue 14 item 10): what GitHub
// would refuse, the fake refuses too and records as unexpected, so a test of the bot fails on it.
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub, type RepoInfo } from "../support/fake-github/index.ts";

let gh: FakeGitHub;
let repo: RepoInfo;
let issueNumber: number;

beforeAll(async () => {
  gh = await startFakeGitHub();
  repo = await gh.createRepo({ owner: "octo-org", name: "demo" });
  issueNumber = gh.addIssue(repo.fullName, { title: "Bug", body: "It breaks", user: "alice" }).number;
});
afterAll(async () => {
  await gh?.close();
});
beforeEach(() => gh.clearLogs());

function api(): Octokit {
  return new Octokit({ auth: gh.issueToken().token, baseUrl: `${gh.url}/api/v3`, retry: { enabled: false } });
}

async function raw(method: string, path: string, body?: unknown): Promise<{ status: number; json: { message?: string } }> {
  const res = await fetch(`${gh.url}/api/v3${path}`, {
    method,
    headers: { authorization: `token ${gh.issueToken().token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as { message?: string } };
}

describe("fake GitHub against GitHub's OpenAPI description", () => {
  it("passes a valid request, with query parameters and a body, and records nothing", async () => {
    const o = api();
    const list = await o.rest.issues.listComments({ owner: "octo-org", repo: "demo", issue_number: issueNumber, per_page: 50 });
    expect(list.status).toBe(200);
    const created = await o.rest.issues.createComment({ owner: "octo-org", repo: "demo", issue_number: issueNumber, body: "hello" });
    expect(created.status).toBe(201);
    expect(gh.unexpected).toEqual([]);
  });

  it("refuses a route GitHub does not have with 404 and records it", async () => {
    const r = await raw("GET", "/repos/octo-org/demo/issues/1/no-such-thing");
    expect(r.status).toBe(404);
    expect(gh.unexpected).toEqual(["GET /repos/octo-org/demo/issues/1/no-such-thing (not in GitHub's OpenAPI description (api.github.com): no such route)"]);
    // A method the path does not have is the same.
    gh.clearLogs();
    expect((await raw("PUT", "/repos/octo-org/demo/issues/comments", {})).status).toBe(404);
    expect(gh.unexpected).toEqual([expect.stringMatching(/^PUT \/repos\/octo-org\/demo\/issues\/comments \(.*PUT is not an operation of this path\)$/)]);
  });

  it("refuses a route only api.github.com has, since the bot also runs against GitHub Enterprise Server (GHE_HOST)", async () => {
    const r = await raw("GET", "/repos/octo-org/demo/actions/runs/1/timing");
    expect(r.status).toBe(404);
    expect(gh.unexpected).toEqual(["GET /repos/octo-org/demo/actions/runs/1/timing (not in GitHub's OpenAPI description (ghes-3.17): no such route)"]);
  });

  it("refuses a wrong-shaped path parameter with 404 and records it, even on a route the fake serves", async () => {
    const r = await raw("GET", "/repos/octo-org/demo/issues/abc/comments");
    expect(r.status).toBe(404);
    expect(gh.unexpected).toEqual([expect.stringMatching(/^GET \/repos\/octo-org\/demo\/issues\/abc\/comments \(path parameter issue_number="abc" does not fit issues\/list-comments/)]);
  });

  it("refuses a wrong-shaped query parameter with 422 and records it", async () => {
    const r = await raw("GET", `/repos/octo-org/demo/issues/${issueNumber}/comments?per_page=lots`);
    expect(r.status).toBe(422);
    expect(gh.unexpected).toEqual([expect.stringMatching(/query parameter per_page="lots" does not fit issues\/list-comments/)]);
  });

  it("refuses a body that fails the operation's schema with 422 and records it", async () => {
    const o = api();
    await expect(
      o.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner: "octo-org", repo: "demo", issue_number: issueNumber, body: 42 as unknown as string }),
    ).rejects.toMatchObject({ status: 422 });
    expect(gh.unexpected).toEqual([expect.stringMatching(/^POST \/repos\/octo-org\/demo\/issues\/\d+\/comments \(body does not fit issues\/create-comment \(api.github.com\): \/body must be string/)]);
    gh.clearLogs();
    // An enum GitHub defines (a review's event) is held to its values.
    const r = await raw("POST", "/repos/octo-org/demo/pulls/1/reviews", { event: "LGTM", body: "x" });
    expect(r.status).toBe(422);
    expect(gh.unexpected).toEqual([expect.stringMatching(/body does not fit pulls\/create-review .*\/event must be equal to one of the allowed values/)]);
    // The state recorded nothing for the refused comment.
    expect(gh.state.comments.some((c) => (c.body as unknown) === 42)).toBe(false);
  });

  it("records a field or query parameter GitHub would silently ignore, and answers as GitHub would", async () => {
    const r = await raw("POST", `/repos/octo-org/demo/issues/${issueNumber}/comments?sort=up`, { body: "hi", bdy: "typo" });
    expect(r.status).toBe(201);
    expect(gh.unexpected).toEqual([
      expect.stringMatching(/query parameter sort is not one of issues\/create-comment\b.*body field\(s\) bdy are not in issues\/create-comment/),
    ]);
  });
});
