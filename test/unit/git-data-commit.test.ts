import { mkdtemp, readFile, rm, symlink, writeFile, mkdir, chmod, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BotOctokit } from "../../src/github/bot-octokit.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GitHubClient } from "../../src/github/octokit-types.ts";
import { parseIssueComment } from "../../src/triggers/parse-trigger.ts";
import { askers, coAuthorTrailer, coAuthorTrailers, withTrailers } from "../../src/workspace/co-authors.ts";
import { rewriteCommitObject } from "../../src/workspace/commit-credit.ts";
import { API_BLOB_MAX_BYTES, API_MAX_BLOBS, API_MAX_COMMITS, gitDataApi, unsignedReason, type RunCommit } from "../../src/workspace/git-data-commit.ts";
import { createHostGit, type HostGit } from "../../src/workspace/host-git.ts";
import { openHostRepo } from "../../src/workspace/host-repo.ts";
import { gitAuthEnv, startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import { runGit } from "../support/fake-github/git.ts";
import type { RepoInfo } from "../support/fake-github/types.ts";

/**
 * Verified commits: the run's commits, credited on the bot's mirror, made again through the Git
 * Data API of the fake GitHub (a real git repository behind it) — the same trees a push gives —
 * or pushed when the API cannot express them.
 */

let gh: FakeGitHub;
let repo: RepoInfo;
let work: string;
let hostGit: HostGit;
let client: GitHubClient;
let runId = 0;
const TRAILER = "Co-authored-by: alice <5001+alice@users.noreply.github.com>";

async function git(args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const r = await runGit(args, { cwd, env });
  if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.toString("utf8").trim();
}
const bare = (ref: string) => git(["--git-dir", repo.bareDir, "rev-parse", ref], work);
const readToken = () => gh.issueToken({ permissions: { contents: "read" } }).token;

/** A sandbox-like clone where `change` makes commits on top of main; returns the bundle of them. */
async function sandbox(name: string, change: (dir: string, commit: (message: string) => Promise<void>) => Promise<void>) {
  const dir = join(work, name);
  await git(["clone", "--quiet", repo.cloneUrl, dir], work, gitAuthEnv(readToken()));
  const startSha = await git(["rev-parse", "HEAD"], dir);
  await change(dir, async (message) => {
    await git(["add", "--all"], dir);
    await git(["commit", "--quiet", "-m", message], dir);
  });
  const file = join(work, `${name}.bundle`);
  await git(["bundle", "create", "-q", file, `${startSha}..HEAD`], dir);
  return { startSha, bundle: new Uint8Array(await readFile(file)) };
}

async function hostRepoFor(s: { startSha: string; bundle: Uint8Array }) {
  const host = await openHostRepo({ hostGit, cloneUrl: repo.cloneUrl, startSha: s.startSha, readToken: readToken(), runId: ++runId });
  await host.importBundle(s.bundle);
  return host;
}

const treesOf = async (branch: string, count: number) => (await git(["--git-dir", repo.bareDir, "log", `--format=%T`, `-${count}`, `refs/heads/${branch}`], work)).split("\n");

beforeAll(async () => {
  gh = await startFakeGitHub();
  repo = await gh.createRepo({ owner: "acme", name: "signed", files: { "README.md": "# signed\n", "old.txt": "to be removed\n", "bin/run.sh": "echo hi\n" } });
  work = await mkdtemp(join(tmpdir(), "git-data-"));
  hostGit = await createHostGit({ tmpRoot: work });
  const quiet = (): void => {};
  client = new BotOctokit({ auth: { token: gh.issueToken().token }, baseUrl: `${gh.url}/api/v3`, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } }) as GitHubClient;
});
afterAll(async () => {
  await hostGit?.close();
  await gh?.close();
  await rm(work, { recursive: true, force: true });
});

const twoCommits = (dir: string, commit: (message: string) => Promise<void>) =>
  (async () => {
    await writeFile(join(dir, "README.md"), "# signed\n\nNow with a guide.\n");
    await mkdir(join(dir, "docs/deep"), { recursive: true });
    await writeFile(join(dir, "docs/deep/guide.md"), "héllo \u0000 binary-ish\n");
    await commit("Write the guide\n\nThe agent's own body, kept.");
    await chmod(join(dir, "bin/run.sh"), 0o755);
    await unlink(join(dir, "old.txt"));
    await commit("Make run.sh executable, drop old.txt\n\nSigned-off-by: Claude <claude@example.com>");
  })();

describe("commits made through the Git Data API", () => {
  it("makes the run's commits, credited and verified, with exactly the trees a push gives", async () => {
    const s = await sandbox("signed", twoCommits);
    const viaApi = await hostRepoFor(s);
    const pushed = await hostRepoFor(s);
    await viaApi.credit([TRAILER]);
    const made = await viaApi.publishThroughApi(gitDataApi(client, { owner: repo.owner, repo: repo.name }), "claude/issue-1", true);
    expect(made).toMatchObject({ published: true });
    await pushed.credit([TRAILER]);
    await pushed.push("pushed-branch", gh.issueToken({ permissions: { contents: "write" } }).token);

    // The same trees, commit by commit: the branch holds byte for byte what the push holds.
    expect(await treesOf("claude/issue-1", 2)).toEqual(await treesOf("pushed-branch", 2));
    expect(await bare("claude/issue-1")).toBe((made as { sha: string }).sha);
    expect(await bare("claude/issue-1~2")).toBe(s.startSha);

    const log = await gh.git.log(repo.fullName, "claude/issue-1");
    expect(log.slice(0, 2).map((c) => c.subject)).toEqual(["Make run.sh executable, drop old.txt", "Write the guide"]);
    expect(log[1]!.body).toBe(`The agent's own body, kept.\n\n${TRAILER}`);
    // An existing trailer block takes the trailer in.
    expect(log[0]!.body).toBe(`Signed-off-by: Claude <claude@example.com>\n${TRAILER}`);
    expect(log[0]!.author).toBe(`${gh.botUser.login} <${gh.botUser.id}+${gh.botUser.login}@users.noreply.github.com>`);

    for (const c of log.slice(0, 2)) {
      expect(gh.state.gitDataCommits.find((r) => r.sha === c.sha)).toMatchObject({ verified: true });
      const rest = await client.rest.repos.getCommit({ owner: repo.owner, repo: repo.name, ref: c.sha });
      expect(rest.data.commit.verification?.verified).toBe(true);
      const gitCommit = await client.rest.git.getCommit({ owner: repo.owner, repo: repo.name, commit_sha: c.sha });
      expect(gitCommit.data.verification.verified).toBe(true);
    }
    // The pushed branch's commits did not come through the API: unverified.
    const pushedTip = await bare("pushed-branch");
    expect((await client.rest.git.getCommit({ owner: repo.owner, repo: repo.name, commit_sha: pushedTip })).data.verification.verified).toBe(false);
    expect(await gh.git.readFile(repo.fullName, "claude/issue-1", "old.txt")).toBeNull();
    expect(gh.unexpected).toEqual([]);
  });

  it("moves an existing branch forward, and never over someone else's commit", async () => {
    const s = await sandbox("follow", async (dir, commit) => {
      await writeFile(join(dir, "NOTES.md"), "notes\n");
      await commit("Add notes");
    });
    // The branch as the run found it, at the run's start commit.
    await git(["--git-dir", repo.bareDir, "update-ref", "refs/heads/existing", s.startSha], work);
    const host = await hostRepoFor(s);
    await host.credit([]);
    const api = gitDataApi(client, { owner: repo.owner, repo: repo.name });
    expect(await host.publishThroughApi(api, "existing", false)).toMatchObject({ published: true });
    expect(await gh.git.readFile(repo.fullName, "existing", "NOTES.md")).toBe("notes\n");

    const again = await hostRepoFor(s);
    await gh.git.commit(repo.fullName, { branch: "moved", files: { "HUMAN.md": "mine\n" }, message: "A human's commit", from: s.startSha });
    const human = await bare("moved");
    await expect(again.publishThroughApi(api, "moved", false)).rejects.toMatchObject({ status: 422, message: expect.stringMatching(/not a fast forward/) });
    expect(await bare("moved")).toBe(human);
  });

  it("does not move the branch when GitHub builds another tree than git did: the reason comes back for the push", async () => {
    const s = await sandbox("other-tree", async (dir, commit) => {
      await writeFile(join(dir, "A.md"), "a\n");
      await commit("Add A");
    });
    const host = await hostRepoFor(s);
    const real = gitDataApi(client, { owner: repo.owner, repo: repo.name });
    // GitHub (here: an extra entry on the way) building a tree of its own.
    const api = { ...real, createTree: (base: string, entries: Parameters<typeof real.createTree>[1]) => real.createTree(base, [...entries, { path: "EXTRA.md", mode: "100644", type: "blob", sha: entries[0]!.sha }]) };
    const made = await host.publishThroughApi(api, "claude/other-tree", true);
    expect(made).toEqual({ published: false, reason: expect.stringMatching(/^GitHub's API built another tree for commit [0-9a-f]{12} than git did$/) });
    expect(await gh.git.branches(repo.fullName)).not.toContain("claude/other-tree");
  });

  it("sends nothing when the change holds a symbolic link: the reason comes back for the push", async () => {
    const s = await sandbox("link", async (dir, commit) => {
      await writeFile(join(dir, "target.md"), "t\n");
      await symlink("target.md", join(dir, "link.md"));
      await commit("Add a link");
    });
    const host = await hostRepoFor(s);
    const before = gh.state.gitDataCommits.length;
    const requests = gh.requests.length;
    expect(await host.publishThroughApi(gitDataApi(client, { owner: repo.owner, repo: repo.name }), "claude/link", true)).toEqual({ published: false, reason: "`link.md` is a symbolic link" });
    expect(gh.state.gitDataCommits.length).toBe(before);
    expect(gh.requests.slice(requests).filter((r) => r.path.includes("/git/"))).toEqual([]);
    expect(await gh.git.branches(repo.fullName)).not.toContain("claude/link");
  });
});

describe("what the API cannot express (pure)", () => {
  const commit = (over: Partial<RunCommit> = {}, change: Partial<RunCommit["changes"][number]> = {}): RunCommit => ({
    sha: "a".repeat(40), parents: ["b".repeat(40)], tree: "c".repeat(40), parentTree: "d".repeat(40), message: "m\n",
    changes: [{ path: "f", oldMode: "100644", newMode: "100644", sha: "e".repeat(40), size: 10, ...change }], ...over,
  });
  it.each<[string, RunCommit, string | null]>([
    ["a regular change", commit(), null],
    ["an executable bit", commit({}, { newMode: "100755" }), null],
    ["a deletion", commit({}, { newMode: "000000", sha: "0".repeat(40) }), null],
    ["a symlink", commit({}, { newMode: "120000" }), "`f` is a symbolic link"],
    ["a symlink removed", commit({}, { oldMode: "120000", newMode: "000000", sha: "0".repeat(40) }), "`f` is a symbolic link"],
    ["a submodule", commit({}, { oldMode: "000000", newMode: "160000" }), "`f` is a submodule"],
    ["a file over the API's size", commit({}, { size: API_BLOB_MAX_BYTES + 1 }), "`f` is 40 MB, over the API's 39 MB per file"],
    ["a merge", commit({ parents: ["b".repeat(40), "f".repeat(40)] }), `commit ${"a".repeat(12)} is a merge`],
    ["a message that is not UTF-8", commit({ message: null }), `the message of commit ${"a".repeat(12)} is not UTF-8`],
  ])("%s", (_name, c, reason) => expect(unsignedReason([c])).toBe(reason));

  it("pushes a change too big to spend the installation's requests on", () => {
    const many = Array.from({ length: API_MAX_COMMITS + 1 }, (_, i) => commit({}, { sha: `e${i}`.padStart(40, "0") }));
    expect(unsignedReason(many)).toBe(`the run made ${API_MAX_COMMITS + 1} commits, more than the ${API_MAX_COMMITS} the bot makes through the API`);
    const wide = commit({ changes: Array.from({ length: API_MAX_BLOBS + 1 }, (_, i) => ({ path: `f${i}`, oldMode: "000000", newMode: "100644", sha: `f${i}`.padStart(40, "0"), size: 1 })) });
    expect(unsignedReason([wide])).toMatch(new RegExp(`^the change writes ${API_MAX_BLOBS + 1} files`));
    expect(unsignedReason([{ ...wide, changes: wide.changes.slice(0, API_MAX_BLOBS) }])).toBeNull();
  });
});

describe("credit (pure)", () => {
  it.each<[string, string, string]>([
    ["a subject alone", "Fix it", `Fix it\n\n${TRAILER}\n`],
    ["a subject shaped like a trailer is still the subject", "Fix: it\n", `Fix: it\n\n${TRAILER}\n`],
    ["a body", "Fix it\n\nBecause.\n", `Fix it\n\nBecause.\n\n${TRAILER}\n`],
    ["a trailer block", "Fix it\n\nSigned-off-by: A <a@x>\n", `Fix it\n\nSigned-off-by: A <a@x>\n${TRAILER}\n`],
    ["already credited", `Fix it\n\n${TRAILER}\n`, `Fix it\n\n${TRAILER}\n`],
  ])("%s", (_name, message, expected) => expect(withTrailers(message, [TRAILER])).toBe(expected));

  it("rewrites a commit object: parents mapped, signature dropped, everything else byte for byte", () => {
    const raw = `tree ${"1".repeat(40)}\nparent ${"2".repeat(40)}\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n xyz\n -----END PGP SIGNATURE-----\n\nCaf\xe9 message\n`;
    expect(rewriteCommitObject(raw, new Map([["2".repeat(40), "3".repeat(40)]]), [TRAILER])).toBe(
      `tree ${"1".repeat(40)}\nparent ${"3".repeat(40)}\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\nCaf\xe9 message\n\n${TRAILER}\n`,
    );
  });

  it("credits people once each, with their id (looked up when the trigger has none), never a bot", async () => {
    const looked: string[] = [];
    const lookup = async (login: string) => {
      looked.push(login);
      return login === "bob" ? 77 : null;
    };
    const trailers = await coAuthorTrailers(
      [
        { login: "alice", type: "User", id: 5001 },
        { login: "Alice", type: "User", id: 5001 },
        { login: "bob", type: "User" },
        { login: "carol", type: "User" },
        { login: "renovate[bot]", type: "Bot", id: 9 },
        { login: "claude-sandbox-bot[bot]", type: "User", id: 10 },
        { login: "evil>\nSigned-off-by: x", type: "User", id: 11 },
      ],
      lookup,
    );
    expect(trailers).toEqual([TRAILER, coAuthorTrailer("bob", 77), "Co-authored-by: carol <carol@users.noreply.github.com>"]);
    expect(looked).toEqual(["bob", "carol"]);
  });

  it("a run API run credits nobody: its caller is the operator, not a GitHub account", () => {
    const actor = { login: "api", type: "User" };
    expect(askers({ kind: "api", actor })).toEqual([]);
    expect(askers({ kind: "issue_comment", actor })).toEqual([actor]);
  });
});

describe("the asker's id comes from the webhook payload", () => {
  const repository = { id: 7, name: "w", full_name: "acme/w", owner: { login: "acme" }, html_url: "https://github.com/acme/w", default_branch: "main", private: true };
  const payload = (user: Record<string, unknown>) => ({
    action: "created", installation: { id: 1 }, repository, sender: user,
    issue: { number: 3, title: "t", body: null, html_url: "https://github.com/acme/w/issues/3", user: { login: "bob", type: "User", id: 2 } },
    comment: { id: 9, body: "@bot go", user },
  });
  it("keeps user.id on the actor, and does without it", () => {
    const withId = parseIssueComment("d", payload({ login: "alice", type: "User", id: 5001 }));
    expect(withId.ok && withId.trigger.actor).toEqual({ login: "alice", type: "User", id: 5001 });
    const without = parseIssueComment("d", payload({ login: "alice", type: "User" }));
    expect(without.ok && without.trigger.actor).toEqual({ login: "alice", type: "User" });
  });
});
