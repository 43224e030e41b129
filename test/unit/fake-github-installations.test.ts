// The fake GitHub with several installations, as GitHub has them: each account's repositories belong to
// the app's installation on that account, a token is minted for one installation and reaches only its
// repositories (REST and git), and a webhook names the installation that holds its repository.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Octokit } from "@octokit/rest";
import { ProbotOctokit } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { gitAuthEnv, startFakeGitHub, type FakeGitHub, type RepoInfo } from "../support/fake-github/index.ts";
import { createWebhookFactory } from "../support/webhooks.ts";

// The fake runs in this process: git must be spawned asynchronously.
function gitClone(url: string, dir: string, token: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["clone", "-q", url, dir], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", ...gitAuthEnv(token) },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
  });
}

const NOT_ACCESSIBLE = "There is at least one repository that does not exist or is not accessible to the parent installation.";

let gh: FakeGitHub;
let acme: RepoInfo;
let acmeTools: RepoInfo;
let globex: RepoInfo;
let globexTools: RepoInfo;
let globexId: number;
let work: string;

beforeAll(async () => {
  gh = await startFakeGitHub();
  acme = await gh.createRepo({ owner: "acme", name: "widgets" });
  acmeTools = await gh.createRepo({ owner: "acme", name: "tools" });
  globexId = gh.addInstallation({ account: "globex" });
  globex = await gh.createRepo({ owner: "globex", name: "gadgets" });
  // The same name in both accounts: a token of one installation must never pick the other's.
  globexTools = await gh.createRepo({ owner: "globex", name: "tools" });
  work = await mkdtemp(join(tmpdir(), "fake-gh-inst-"));
});
afterAll(async () => {
  await gh?.close();
  if (work) await rm(work, { recursive: true, force: true });
});
beforeEach(() => gh.clearLogs());

const quiet = (): void => {};
const appClient = () => new ProbotOctokit({ auth: { appId: gh.appId, privateKey: gh.privateKey }, baseUrl: `${gh.url}/api/v3`, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
const api = (token: string) => new Octokit({ auth: token, baseUrl: `${gh.url}/api/v3`, retry: { enabled: false }, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });

async function mint(installationId: number, body: Record<string, unknown> = {}): Promise<string> {
  const { data } = await appClient().request("POST /app/installations/{installation_id}/access_tokens", { installation_id: installationId, ...body });
  return data.token;
}

describe("fake GitHub: several installations", () => {
  it("puts each account's repositories in its installation and refuses a repository of another account in one", async () => {
    expect(gh.installationOf(acme.fullName)).toBe(gh.installationId);
    expect(gh.installationOf(acmeTools.fullName)).toBe(gh.installationId);
    expect(gh.installationOf(globex.fullName)).toBe(globexId);
    expect(gh.installationOf(globexTools.fullName)).toBe(globexId);
    expect(globexId).not.toBe(gh.installationId);
    await expect(gh.createRepo({ owner: "initech", name: "x", installationId: globexId })).rejects.toThrow(/installation \d+ is on globex/);
    expect(() => gh.addInstallation({ account: "globex" })).toThrow(/already installed on globex/);
  });

  it("lists and answers installations with their accounts (GET /app/installations, /app/installations/:id, /repos/:o/:r/installation)", async () => {
    const app = appClient();
    const list = await app.request("GET /app/installations");
    expect(list.data.map((i) => [i.id, i.account && "login" in i.account ? i.account.login : null])).toEqual([
      [gh.installationId, "acme"],
      [globexId, "globex"],
    ]);
    const one = await app.request("GET /app/installations/{installation_id}", { installation_id: globexId });
    expect(one.data).toMatchObject({ id: globexId, app_id: gh.appId, account: { login: "globex" }, access_tokens_url: `${gh.url}/api/v3/app/installations/${globexId}/access_tokens` });
    expect((await app.rest.apps.getRepoInstallation({ owner: "globex", repo: "gadgets" })).data.id).toBe(globexId);
    expect((await app.rest.apps.getRepoInstallation({ owner: "acme", repo: "widgets" })).data.id).toBe(gh.installationId);
    await expect(app.request("GET /app/installations/{installation_id}", { installation_id: 1 })).rejects.toMatchObject({ status: 404 });
    expect((await app.request("GET /app")).data).toMatchObject({ installations_count: 2 });
    expect(gh.unexpected).toEqual([]);
  });

  it("mints a token for one installation's repositories only: another's is GitHub's 422", async () => {
    const app = appClient();
    const byName = await app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: globexId, repositories: ["tools"] });
    expect(byName.data.repositories?.map((r) => r.full_name)).toEqual(["globex/tools"]);
    expect(gh.state.tokens.find((t) => t.token === byName.data.token)).toMatchObject({ installationId: globexId, repositories: ["globex/tools"] });

    for (const body of [{ repositories: ["widgets"] }, { repositories: ["acme/widgets"] }, { repository_ids: [acme.id] }]) {
      await expect(app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: globexId, ...body })).rejects.toMatchObject({
        status: 422,
        response: { data: { message: NOT_ACCESSIBLE } },
      });
    }
    await expect(
      app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: gh.installationId, repository_ids: [globex.id] }),
    ).rejects.toMatchObject({ status: 422 });
    expect(() => gh.issueToken({ installationId: globexId, repositories: [acme.fullName] })).toThrow(/belongs to installation/);
  });

  it("keeps an installation token out of another installation's repositories (404, recorded), for reads and writes", async () => {
    const token = await mint(globexId);
    const o = api(token);
    expect((await o.rest.repos.get({ owner: "globex", repo: "gadgets" })).data.full_name).toBe("globex/gadgets");
    const listed = await o.request("GET /installation/repositories");
    expect(listed.data.repositories.map((r) => r.full_name).sort()).toEqual(["globex/gadgets", "globex/tools"]);
    expect(listed.data.total_count).toBe(2);

    const issue = gh.addIssue(acme.fullName, { title: "Acme's", body: "x", user: "alice" });
    await expect(o.rest.repos.get({ owner: "acme", repo: "widgets" })).rejects.toMatchObject({ status: 404 });
    await expect(o.rest.issues.createComment({ owner: "acme", repo: "widgets", issue_number: issue.number, body: "from globex" })).rejects.toMatchObject({ status: 404 });
    expect(gh.state.comments.filter((c) => c.repo === acme.fullName)).toEqual([]);
    expect(gh.unexpected).toEqual([
      `GET /repos/acme/widgets (token of installation ${globexId}, acme/widgets belongs to installation ${gh.installationId})`,
      `POST /repos/acme/widgets/issues/${issue.number}/comments (token of installation ${globexId}, acme/widgets belongs to installation ${gh.installationId})`,
    ]);

    // And the other way round: the default installation's token does not reach globex's repositories.
    const acmeToken = await mint(gh.installationId);
    await expect(api(acmeToken).rest.repos.get({ owner: "globex", repo: "gadgets" })).rejects.toMatchObject({ status: 404 });
    const acmeListed = await api(acmeToken).request("GET /installation/repositories");
    expect(acmeListed.data.repositories.map((r) => r.full_name).sort()).toEqual(["acme/tools", "acme/widgets"]);
  });

  it("refuses git to another installation's repository like a repository the token does not cover (404)", async () => {
    const token = await mint(globexId);
    const own = await gitClone(globex.cloneUrl, join(work, "own"), token);
    expect(own.code, own.stderr).toBe(0);
    const foreign = await gitClone(acme.cloneUrl, join(work, "foreign"), token);
    expect(foreign.code).not.toBe(0);
    expect(foreign.stderr).toMatch(/not found/i);
    expect(gh.gitDenied.map((d) => [d.repo, d.kind, d.status])).toEqual([["acme/widgets", "scope", 404]]);
    expect(gh.gitDenied[0]!.reason).toMatch(/belongs to installation/);
  });

  it("builds webhooks naming the installation that holds the repository", () => {
    const hooks = createWebhookFactory(gh);
    const fromGlobex = hooks.issueCommentCreated({ repo: globex, issue: { title: "G", body: "g", user: "bob" }, comment: { body: "@bot go", user: "bob" } });
    const fromAcme = hooks.issueCommentCreated({ repo: acme, issue: { title: "A", body: "a", user: "alice" }, comment: { body: "@bot go", user: "alice" } });
    expect(fromGlobex.payload.installation?.id).toBe(globexId);
    expect(fromAcme.payload.installation?.id).toBe(gh.installationId);
    expect(gh.serialize.installation(globexId)).toMatchObject({ id: globexId, account: { login: "globex" } });
  });
});
