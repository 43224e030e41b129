import { spawn } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Octokit } from "@octokit/rest";
import { createNodeMiddleware, createProbot, ProbotOctokit } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { gitAuthEnv, startFakeGitHub, type FakeGitHub, type RepoInfo } from "../support/fake-github/index.ts";
import { createWebhookFactory, exampleFor, sendWebhook } from "../support/webhooks.ts";

// NB: the fake runs in this process, so git must be spawned asynchronously (execFileSync would deadlock).
function git(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, {
      cwd: opts.cwd,
      env: {
        PATH: process.env["PATH"] ?? "/usr/bin:/bin",
        HOME: tmpdir(),
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_TERMINAL_PROMPT: "0",
        GIT_AUTHOR_NAME: "Test",
        GIT_AUTHOR_EMAIL: "test@example.com",
        GIT_COMMITTER_NAME: "Test",
        GIT_COMMITTER_EMAIL: "test@example.com",
        ...opts.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function b64url(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString("base64url");
}

function makeJwt(privateKeyPem: string, claims: Record<string, unknown>): string {
  const head = `${b64url({ alg: "RS256", typ: "JWT" })}.${b64url(claims)}`;
  return `${head}.${sign("sha256", Buffer.from(head), createPrivateKey(privateKeyPem)).toString("base64url")}`;
}

let gh: FakeGitHub;
let repo: RepoInfo;
let other: RepoInfo;
let work: string;

beforeAll(async () => {
  gh = await startFakeGitHub();
  repo = await gh.createRepo({
    owner: "octo-org",
    name: "demo",
    files: { "README.md": "# demo\n", ".github/claude-sandbox-bot.yml": "model: opus\nmax_turns: 7\n", "src/a.ts": "export const a = 1;\n" },
  });
  other = await gh.createRepo({ owner: "octo-org", name: "other" });
  work = await mkdtemp(join(tmpdir(), "fake-gh-test-"));
});

afterAll(async () => {
  await gh?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

beforeEach(() => gh.clearLogs());

function api(token: string): Octokit {
  const quiet = (): void => {};
  return new Octokit({ auth: token, baseUrl: `${gh.url}/api/v3`, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
}

describe("app JWT auth", () => {
  it("accepts a JWT from ProbotOctokit's app auth", async () => {
    const app = new ProbotOctokit({ auth: { appId: gh.appId, privateKey: gh.privateKey }, baseUrl: `${gh.url}/api/v3` });
    const res = await app.request("GET /app");
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ id: gh.appId, slug: "claude-sandbox-bot" });
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.headers["x-ratelimit-remaining"]).toBeDefined();
    expect(gh.requests.at(-1)).toMatchObject({ method: "GET", path: "/app", status: 200, auth: "jwt" });
    expect(gh.unexpected).toEqual([]);
  });

  it("refuses a foreign key, a wrong iss, an expired JWT and no auth", async () => {
    const now = Math.floor(Date.now() / 1000);
    const foreign = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const cases = [
      makeJwt(foreign, { iat: now - 30, exp: now + 500, iss: gh.appId }),
      makeJwt(gh.privateKey, { iat: now - 30, exp: now + 500, iss: gh.appId + 1 }),
      makeJwt(gh.privateKey, { iat: now - 700, exp: now - 100, iss: gh.appId }),
    ];
    for (const jwt of cases) {
      const res = await fetch(`${gh.url}/api/v3/app`, { headers: { authorization: `Bearer ${jwt}` } });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ message: expect.any(String) });
    }
    expect((await fetch(`${gh.url}/api/v3/app`)).status).toBe(401);
    expect(gh.unexpected).toHaveLength(4);
    expect(gh.unexpected[0]).toMatch(/^GET \/app \(JWT signature/);
    expect(gh.requests.map((r) => r.auth)).toEqual(["invalid", "invalid", "invalid", "none"]);
  });

  it("refuses an installation token on an app endpoint", async () => {
    const t = gh.issueToken();
    await expect(api(t.token).request("GET /app")).rejects.toMatchObject({ status: 401 });
    expect(gh.unexpected[0]).toMatch(/needs 'Bearer <JWT>'/);
  });
});

describe("installation tokens", () => {
  it("mints a token with the app's full permissions (as Probot does) and records it", async () => {
    const app = new ProbotOctokit({ auth: { appId: gh.appId, privateKey: gh.privateKey }, baseUrl: `${gh.url}/api/v3` });
    const auth = (await app.auth({ type: "installation", installationId: gh.installationId })) as { token: string; permissions: unknown };
    expect(auth.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    expect(auth.permissions).toEqual({ contents: "write", issues: "write", pull_requests: "write", checks: "write", actions: "read", statuses: "read", metadata: "read" });
    const issued = gh.state.tokens.find((t) => t.token === auth.token);
    expect(issued).toMatchObject({ installationId: gh.installationId, repositories: null });
    expect(Date.parse(issued?.expiresAt ?? "")).toBeGreaterThan(Date.now() + 50 * 60_000);
    const r = await api(auth.token).rest.repos.get({ owner: repo.owner, repo: repo.name });
    expect(r.data).toMatchObject({ full_name: "octo-org/demo", default_branch: "main", clone_url: repo.cloneUrl, private: true });
  });

  it("scopes tokens to repositories and permissions", async () => {
    const app = new ProbotOctokit({ auth: { appId: gh.appId, privateKey: gh.privateKey }, baseUrl: `${gh.url}/api/v3` });
    const { data, status } = await app.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: gh.installationId,
      repositories: ["demo"],
      permissions: { contents: "read", issues: "write" },
    });
    expect(status).toBe(201);
    expect(data.repository_selection).toBe("selected");
    expect(data.permissions).toEqual({ contents: "read", issues: "write", metadata: "read" });
    expect(data.repositories?.map((r) => r.full_name)).toEqual(["octo-org/demo"]);
    const scoped = api(data.token);
    await scoped.rest.repos.get({ owner: "octo-org", repo: "demo" });
    await expect(scoped.rest.repos.get({ owner: "octo-org", repo: "other" })).rejects.toMatchObject({ status: 404 });
    await expect(scoped.rest.pulls.list({ owner: "octo-org", repo: "demo" })).rejects.toMatchObject({ status: 403 });
    expect(gh.unexpected).toEqual([
      expect.stringMatching(/^GET \/repos\/octo-org\/other \(token not scoped/),
      expect.stringMatching(/^GET \/repos\/octo-org\/demo\/pulls \(token lacks pull_requests:read/),
    ]);

    await expect(
      app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: gh.installationId, permissions: { administration: "write" } }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: gh.installationId, repositories: ["nope"] }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: 1 })).rejects.toMatchObject({ status: 404 });
  });

  it("rejects unknown, expired and revoked tokens with 401", async () => {
    await expect(api("ghs_notissuedbythisfakeatallxxxxxxxxxxxxx").rest.repos.get({ owner: "octo-org", repo: "demo" })).rejects.toMatchObject({
      status: 401,
    });
    const expired = gh.issueToken({ ttlMs: -1 });
    await expect(api(expired.token).rest.repos.get({ owner: "octo-org", repo: "demo" })).rejects.toMatchObject({ status: 401 });
    const t = gh.issueToken();
    await api(t.token).rest.apps.revokeInstallationAccessToken();
    expect(t.revoked).toBe(true);
    await expect(api(t.token).rest.repos.get({ owner: "octo-org", repo: "demo" })).rejects.toMatchObject({ status: 401 });
    expect(gh.unexpected).toHaveLength(3);
  });
});

describe("git smart HTTP", () => {
  it("clones with the token via -c http.extraHeader, and via GIT_CONFIG_COUNT env", async () => {
    const t = gh.issueToken();
    const basic = Buffer.from(`x-access-token:${t.token}`).toString("base64");
    const a = await git(["-c", `http.extraHeader=Authorization: Basic ${basic}`, "clone", repo.cloneUrl, join(work, "clone-a")]);
    expect(a.code, a.stderr).toBe(0);
    expect(await readFile(join(work, "clone-a", "README.md"), "utf8")).toBe("# demo\n");

    const b = await git(["clone", repo.cloneUrl, join(work, "clone-b")], { env: gitAuthEnv(t.token) });
    expect(b.code, b.stderr).toBe(0);
    expect(gh.gitRequests.every((r) => r.token === t.token && r.service === "git-upload-pack" && r.status === 200)).toBe(true);
    expect(gh.gitRequests.filter((r) => r.phase === "info/refs")).toHaveLength(2);
    expect(gh.gitDenied).toEqual([]);
  });

  it("clones with credentials in the URL (git's unauthenticated first probe gets a 401 and is retried)", async () => {
    const t = gh.issueToken();
    const url = repo.cloneUrl.replace("http://", `http://x-access-token:${t.token}@`);
    const r = await git(["clone", url, join(work, "clone-url")]);
    expect(r.code, r.stderr).toBe(0);
    expect(gh.gitDenied.map((d) => d.kind)).toEqual(["missing"]);
  });

  it("refuses a clone without a token, with a foreign token and with a token scoped to another repo", async () => {
    const none = await git(["clone", repo.cloneUrl, join(work, "clone-none")]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/terminal prompts disabled|Authentication failed|401/);

    const bogus = await git(["clone", repo.cloneUrl, join(work, "clone-bogus")], { env: gitAuthEnv("ghs_bogus") });
    expect(bogus.code).not.toBe(0);

    const scoped = gh.issueToken({ repositories: ["octo-org/other"] });
    const wrongRepo = await git(["clone", repo.cloneUrl, join(work, "clone-scope")], { env: gitAuthEnv(scoped.token) });
    expect(wrongRepo.code).not.toBe(0);
    expect(wrongRepo.stderr).toMatch(/not found/i);

    expect(gh.gitDenied.map((d) => [d.kind, d.status])).toEqual([
      ["missing", 401],
      ["invalid", 401],
      ["scope", 404],
    ]);
    expect(gh.gitRequests).toEqual([]);
    expect(gh.unexpected).toEqual([]);
  });

  it("accepts a push with a write token and refuses one with a contents:read token", async () => {
    const t = gh.issueToken();
    const dir = join(work, "push");
    expect((await git(["clone", repo.cloneUrl, dir], { env: gitAuthEnv(t.token) })).code).toBe(0);
    await writeFile(join(dir, "NEW.md"), "new file\n");
    await git(["add", "NEW.md"], { cwd: dir });
    await git(["commit", "-m", "Add NEW.md", "-m", "Body line"], { cwd: dir });
    await git(["checkout", "-b", "feature/x"], { cwd: dir });
    const pushed = await git(["push", "origin", "HEAD:refs/heads/feature/x"], { cwd: dir, env: gitAuthEnv(t.token) });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(await gh.git.branches(repo.fullName)).toEqual(["feature/x", "main"]);
    const log = await gh.git.log(repo.fullName, "feature/x");
    expect(log[0]).toMatchObject({ subject: "Add NEW.md", body: "Body line", author: "Test <test@example.com>" });
    expect(await gh.git.readFile(repo.fullName, "feature/x", "NEW.md")).toBe("new file\n");
    expect(gh.gitRequests.some((r) => r.service === "git-receive-pack" && r.phase === "rpc" && r.token === t.token)).toBe(true);

    const ro = gh.issueToken({ permissions: { contents: "read" } });
    await writeFile(join(dir, "NEW.md"), "changed\n");
    await git(["commit", "-am", "Change"], { cwd: dir });
    const refused = await git(["push", "origin", "HEAD:refs/heads/feature/x"], { cwd: dir, env: gitAuthEnv(ro.token) });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/403|Write access/);
    expect(gh.gitDenied.at(-1)).toMatchObject({ kind: "permission", status: 403, service: "git-receive-pack", repo: "octo-org/demo" });
    expect(await gh.git.readFile(repo.fullName, "feature/x", "NEW.md")).toBe("new file\n");
  });
});

describe("REST routes", () => {
  it("creates, edits, reacts to and deletes comments (@octokit/rest)", async () => {
    const issue = gh.addIssue(repo.fullName, { title: "Bug", body: "It breaks", user: "alice" });
    const o = api(gh.issueToken().token);
    const got = await o.rest.issues.get({ owner: "octo-org", repo: "demo", issue_number: issue.number });
    expect(got.data).toMatchObject({ number: issue.number, title: "Bug", user: { login: "alice", type: "User" } });
    expect(got.data.pull_request).toBeUndefined();

    const created = await o.rest.issues.createComment({ owner: "octo-org", repo: "demo", issue_number: issue.number, body: "working on it" });
    expect(created.status).toBe(201);
    expect(created.data.user).toMatchObject({ login: "claude-sandbox-bot[bot]", type: "Bot" });
    const patched = await o.rest.issues.updateComment({ owner: "octo-org", repo: "demo", comment_id: created.data.id, body: "done" });
    expect(patched.data.body).toBe("done");
    const stored = gh.state.comments.find((c) => c.id === created.data.id);
    expect(stored).toMatchObject({ body: "done", history: ["working on it"], issueNumber: issue.number, repo: "octo-org/demo" });

    const r1 = await o.rest.reactions.createForIssueComment({ owner: "octo-org", repo: "demo", comment_id: created.data.id, content: "eyes" });
    const r2 = await o.rest.reactions.createForIssueComment({ owner: "octo-org", repo: "demo", comment_id: created.data.id, content: "eyes" });
    expect([r1.status, r2.status]).toEqual([201, 200]);
    expect(gh.state.reactions.filter((r) => r.commentId === created.data.id)).toHaveLength(1);

    for (let i = 0; i < 35; i++) gh.addComment(repo.fullName, { issueNumber: issue.number, body: `c${i}`, user: "bob" });
    const all = await o.paginate(o.rest.issues.listComments, { owner: "octo-org", repo: "demo", issue_number: issue.number, per_page: 10 });
    expect(all).toHaveLength(36);

    await o.rest.issues.deleteComment({ owner: "octo-org", repo: "demo", comment_id: created.data.id });
    expect(gh.state.comments.some((c) => c.id === created.data.id)).toBe(false);

    await o.rest.issues.addLabels({ owner: "octo-org", repo: "demo", issue_number: issue.number, labels: ["claude:working"] });
    await o.rest.issues.removeLabel({ owner: "octo-org", repo: "demo", issue_number: issue.number, name: "claude:working" });
    expect(gh.state.labels.map((l) => `${l.action}:${l.name}`)).toEqual(["added:claude:working", "removed:claude:working"]);
    expect(gh.unexpected).toEqual([]);
  });

  it("maps collaborator roles like GitHub", async () => {
    gh.setPermission(repo.fullName, "maint", "maintain");
    gh.setPermission(repo.fullName, "tri", "triage");
    const o = api(gh.issueToken().token);
    const get = (username: string) => o.rest.repos.getCollaboratorPermissionLevel({ owner: "octo-org", repo: "demo", username });
    expect((await get("maint")).data).toMatchObject({ permission: "write", role_name: "maintain", user: { login: "maint" } });
    expect((await get("tri")).data).toMatchObject({ permission: "read", role_name: "triage" });
    expect((await get("stranger")).data).toMatchObject({ permission: "none" });
    expect((await get("octo-org")).data).toMatchObject({ permission: "admin" });
  });

  it("serves contents from the bare repo, incl. Probot's raw config fetch", async () => {
    const o = api(gh.issueToken().token);
    const file = await o.rest.repos.getContent({ owner: "octo-org", repo: "demo", path: "src/a.ts" });
    expect(Array.isArray(file.data)).toBe(false);
    if (!Array.isArray(file.data) && file.data.type === "file") {
      expect(file.data.encoding).toBe("base64");
      expect(Buffer.from(file.data.content, "base64").toString("utf8")).toBe("export const a = 1;\n");
    }
    const dir = await o.rest.repos.getContent({ owner: "octo-org", repo: "demo", path: "" });
    expect((dir.data as Array<{ name: string }>).map((e) => e.name).sort()).toEqual([".github", "README.md", "src"]);
    await expect(o.rest.repos.getContent({ owner: "octo-org", repo: "demo", path: "missing.txt" })).rejects.toMatchObject({ status: 404 });

    const probotOctokit = new ProbotOctokit({
      auth: { appId: gh.appId, privateKey: gh.privateKey, installationId: gh.installationId },
      baseUrl: `${gh.url}/api/v3`,
    });
    const cfg = await probotOctokit.config.get({ owner: "octo-org", repo: "demo", path: ".github/claude-sandbox-bot.yml" });
    expect(cfg.config).toEqual({ model: "opus", max_turns: 7 });
    const none = await probotOctokit.config.get({ owner: "octo-org", repo: "other", path: ".github/claude-sandbox-bot.yml" });
    expect(none.config).toEqual({});
    // the plugin falls back to <owner>/.github, which does not exist: an ordinary 404, not "unexpected"
    expect(gh.requests.filter((r) => r.path.startsWith("/repos/octo-org/.github/contents")).map((r) => r.status)).toEqual([404]);
    expect(gh.unexpected).toEqual([]);
  });

  it("opens PRs with GitHub's validations, lists files, and validates review comments", async () => {
    await gh.git.commit(repo.fullName, { branch: "claude/pr-1", files: { "src/a.ts": "export const a = 2;\nexport const b = 3;\n" }, message: "Change a" });
    const o = api(gh.issueToken().token);
    const pr = await o.rest.pulls.create({ owner: "octo-org", repo: "demo", head: "claude/pr-1", base: "main", title: "Change a", body: "Fixes #1", draft: true });
    expect(pr.status).toBe(201);
    expect(pr.data).toMatchObject({ state: "open", draft: true, head: { ref: "claude/pr-1" }, base: { ref: "main" }, changed_files: 1 });
    expect(gh.state.pulls.at(-1)).toMatchObject({ number: pr.data.number, head: "claude/pr-1", base: "main", draft: true, title: "Change a" });
    const issues = gh.state.issues.filter((i) => i.repo === repo.fullName).map((i) => i.number);
    expect(issues).not.toContain(pr.data.number);

    await expect(o.rest.pulls.create({ owner: "octo-org", repo: "demo", head: "claude/pr-1", base: "main", title: "dup" })).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ message: "A pull request already exists for octo-org:claude/pr-1." }] } },
    });
    await expect(o.rest.pulls.create({ owner: "octo-org", repo: "demo", head: "nope", base: "main", title: "x" })).rejects.toMatchObject({ status: 422 });
    await expect(o.rest.pulls.create({ owner: "octo-org", repo: "demo", head: "main", base: "claude/pr-1", title: "x" })).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ message: "No commits between claude/pr-1 and main" }] } },
    });
    const listed = await o.rest.pulls.list({ owner: "octo-org", repo: "demo", head: "octo-org:claude/pr-1", state: "open" });
    expect(listed.data.map((p) => p.number)).toEqual([pr.data.number]);

    const asIssue = await o.rest.issues.get({ owner: "octo-org", repo: "demo", issue_number: pr.data.number });
    expect(asIssue.data.pull_request).toBeDefined();

    const files = await o.rest.pulls.listFiles({ owner: "octo-org", repo: "demo", pull_number: pr.data.number });
    expect(files.data).toMatchObject([{ filename: "src/a.ts", status: "modified", additions: 2, deletions: 1 }]);

    await expect(
      o.rest.pulls.createReview({ owner: "octo-org", repo: "demo", pull_number: pr.data.number, event: "COMMENT", body: "x", comments: [{ path: "README.md", line: 1, body: "no" }] }),
    ).rejects.toMatchObject({ status: 422 });
    const review = await o.rest.pulls.createReview({
      owner: "octo-org",
      repo: "demo",
      pull_number: pr.data.number,
      event: "COMMENT",
      body: "Looks fine",
      comments: [{ path: "src/a.ts", line: 2, side: "RIGHT", body: "nice" }],
    });
    expect(review.data.state).toBe("COMMENTED");
    const rc = gh.state.reviewComments.at(-1);
    expect(rc).toMatchObject({ path: "src/a.ts", line: 2, body: "nice", reviewId: review.data.id });
    const reply = await o.rest.pulls.createReplyForReviewComment({ owner: "octo-org", repo: "demo", pull_number: pr.data.number, comment_id: rc?.id ?? 0, body: "thanks" });
    expect(reply.data.in_reply_to_id).toBe(rc?.id);
    const closed = await o.rest.pulls.update({ owner: "octo-org", repo: "demo", pull_number: pr.data.number, state: "closed" });
    expect(closed.data.state).toBe("closed");
  });

  it("records unexpected routes", async () => {
    const o = api(gh.issueToken().token);
    await expect(o.request("GET /repos/{owner}/{repo}/actions/runs", { owner: "octo-org", repo: "demo" })).rejects.toMatchObject({ status: 404 });
    await expect(o.graphql("{ viewer { login } }")).rejects.toBeDefined();
    const res = await fetch(`${gh.url}/somewhere-else`);
    expect(res.status).toBe(404);
    expect(gh.unexpected).toEqual([
      "GET /repos/octo-org/demo/actions/runs (no route)",
      "POST /api/graphql (GraphQL is not implemented by the fake)",
      "GET /somewhere-else (not an API or git path)",
    ]);
  });
});

describe("webhooks", () => {
  it("builds payloads from the real examples, overriding repo/installation/sender and seeding the fake", async () => {
    const wh = createWebhookFactory(gh);
    const ex = exampleFor("issue_comment", "created");
    expect(ex["repository"]).toMatchObject({ full_name: "Codertocat/Hello-World" });

    const created = wh.issueCommentCreated({
      repo,
      issue: { title: "Please fix", body: "details", user: "alice" },
      comment: { body: "@claude-sandbox-bot fix it", user: "alice" },
    });
    expect(created.event).toBe("issue_comment");
    const p = created.payload;
    expect(p.action).toBe("created");
    expect(p.repository).toMatchObject({ id: repo.id, full_name: "octo-org/demo", clone_url: repo.cloneUrl, default_branch: "main", private: true, owner: { login: "octo-org" } });
    expect(p.installation?.id).toBe(gh.installationId);
    expect(p.sender).toMatchObject({ login: "alice", type: "User" });
    expect(p.issue).toMatchObject({ title: "Please fix", body: "details", user: { login: "alice" } });
    expect(p.issue.pull_request).toBeUndefined();
    expect(p.comment).toMatchObject({ id: created.comment.id, body: "@claude-sandbox-bot fix it" });
    expect(JSON.stringify(p)).not.toContain("Codertocat/Hello-World");

    const second = wh.issueCommentCreated({ repo, issue: p.issue.number, comment: { body: "again", user: "alice" } });
    expect(second.comment.id).not.toBe(created.comment.id);

    const edited = wh.issueCommentEdited({ repo, commentId: created.comment.id, body: "@claude-sandbox-bot fix it now" });
    expect(edited.payload.changes.body?.from).toBe("@claude-sandbox-bot fix it");
    expect(gh.state.comments.find((c) => c.id === created.comment.id)?.history).toEqual(["@claude-sandbox-bot fix it"]);

    const opened = wh.issuesOpened({ repo, issue: { title: "New", body: "b", user: { login: "dependabot[bot]", type: "Bot" } } });
    expect(opened.payload.sender).toMatchObject({ login: "dependabot[bot]", type: "Bot" });
    const labeled = wh.issuesLabeled({ repo, issue: opened.issue.number, label: "claude", sender: "alice" });
    expect(labeled.payload.label).toMatchObject({ name: "claude" });
    const assigned = wh.issuesAssigned({ repo, issue: opened.issue.number, assignee: "claude-sandbox-bot[bot]", sender: "alice" });
    expect(assigned.payload.assignee).toMatchObject({ login: "claude-sandbox-bot[bot]", type: "Bot" });

    await gh.git.commit(other.fullName, { branch: "feat", files: { "x.txt": "one\ntwo\n" }, message: "x" });
    const pull = await gh.addPull(other.fullName, { title: "Feat", head: "feat", user: "alice" });
    const onPr = wh.issueCommentCreated({ repo: other, issue: pull.number, comment: { body: "@claude-sandbox-bot review", user: "alice" } });
    expect(onPr.payload.issue.pull_request).toBeDefined();
    const rc = await wh.pullRequestReviewCommentCreated({ repo: other, pull: pull.number, comment: { path: "x.txt", line: 2, body: "why?", user: "alice" } });
    expect(rc.payload.pull_request).toMatchObject({ number: pull.number, head: { ref: "feat" } });
    expect(rc.payload.comment).toMatchObject({ id: rc.comment.id, path: "x.txt", line: 2 });
    const rv = await wh.pullRequestReviewSubmitted({ repo: other, pull: pull.number, review: { body: "please change", event: "REQUEST_CHANGES", user: "bob" } });
    expect(rv.payload.review).toMatchObject({ state: "changes_requested", user: { login: "bob" } });
    const rr = await wh.pullRequestReviewRequested({ repo: other, pull: pull.number, reviewer: "claude-sandbox-bot[bot]", sender: "alice" });
    expect(rr.payload).toMatchObject({ action: "review_requested", number: pull.number });
  });

  it("drives a real Probot app end-to-end: signed webhook → token → reaction + comment", async () => {
    const secret = "s3cret";
    const probot = createProbot({
      env: { APP_ID: String(gh.appId), PRIVATE_KEY: gh.privateKey, WEBHOOK_SECRET: secret, GHE_HOST: gh.host, GHE_PROTOCOL: "http", LOG_LEVEL: "fatal" },
    });
    const middleware = await createNodeMiddleware(
      (app) => {
        app.on("issue_comment.created", async (context) => {
          const cfg = await context.config<{ model?: string }>("claude-sandbox-bot.yml");
          await context.octokit.rest.reactions.createForIssueComment(context.repo({ comment_id: context.payload.comment.id, content: "eyes" }));
          await context.octokit.rest.issues.createComment(context.issue({ body: `on it (model ${cfg?.model})` }));
        });
      },
      { probot },
    );
    const server: Server = createServer((req, res) => void middleware(req, res, () => res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
    try {
      const wh = createWebhookFactory(gh);
      const ev = wh.issueCommentCreated({ repo, issue: { title: "T", body: "B", user: "alice" }, comment: { body: "@claude-sandbox-bot go", user: "alice" } });
      expect((await sendWebhook(hookUrl, { ...ev, secret, signature: "invalid" })).status).toBe(400);
      expect((await sendWebhook(hookUrl, { ...ev, secret, signature: "missing" })).status).toBe(400);
      const res = await sendWebhook(hookUrl, { ...ev, secret });
      expect(res.status).toBe(200);
      expect(gh.state.reactions.find((r) => r.commentId === ev.comment.id)).toMatchObject({ content: "eyes", user: { login: "claude-sandbox-bot[bot]" } });
      expect(gh.state.comments.at(-1)).toMatchObject({ body: "on it (model opus)", issueNumber: ev.payload.issue.number });
      expect(gh.requests.map((r) => `${r.method} ${r.path} ${r.status} ${r.auth}`)).toEqual([
        `POST /app/installations/${gh.installationId}/access_tokens 201 jwt`,
        "GET /repos/octo-org/demo/contents/.github/claude-sandbox-bot.yml 200 installation",
        `POST /repos/octo-org/demo/issues/comments/${ev.comment.id}/reactions 201 installation`,
        `POST /repos/octo-org/demo/issues/${ev.payload.issue.number}/comments 201 installation`,
      ]);
      expect(gh.unexpected).toEqual([]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
