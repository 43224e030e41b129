import { readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHostGit, type HostGit } from "../../src/workspace/host-git.ts";
import { openHostRepo } from "../../src/workspace/host-repo.ts";
import { gitAuthEnv, startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import { runGit } from "../support/fake-github/git.ts";
import type { RepoInfo } from "../support/fake-github/types.ts";

/** The push from the bot's machine, against the fake's real git http-backend. */

let gh: FakeGitHub;
let repo: RepoInfo;
let work: string;
let hostGit: HostGit;

async function git(args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const r = await runGit(args, { cwd, env });
  if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.toString("utf8").trim();
}

/** A clone with `commits` new commits on top of main, and a bundle of them based on `base` (default: main's tip). */
async function sandboxWithCommits(name: string, commits: string[], baseIndex = 0) {
  const dir = join(work, name);
  await git(["clone", "--quiet", repo.cloneUrl, dir], work, gitAuthEnv(gh.issueToken({ permissions: { contents: "read" } }).token));
  const shas = [await git(["rev-parse", "HEAD"], dir)];
  for (const file of commits) {
    await writeFile(join(dir, file), `${file} content\n`);
    await git(["add", file], dir);
    await git(["commit", "--quiet", "-m", `Add ${file}`], dir);
    shas.push(await git(["rev-parse", "HEAD"], dir));
  }
  const bundle = join(dir, "..", `${name}.bundle`);
  await git(["bundle", "create", "-q", bundle, `${shas[baseIndex]}..HEAD`], dir);
  return { startSha: shas[0]!, bundle: new Uint8Array(await readFile(bundle)) };
}

beforeAll(async () => {
  gh = await startFakeGitHub();
  repo = await gh.createRepo({ owner: "acme", name: "pushy", files: { "README.md": "# pushy\n" } });
  work = await mkdtemp(join(tmpdir(), "host-repo-"));
  hostGit = await createHostGit({ tmpRoot: work });
});
afterAll(async () => {
  await hostGit?.close();
  await gh?.close();
  await rm(work, { recursive: true, force: true });
});

describe("pushing from the bot's machine", () => {
  it("fetches the start commit, takes the sandbox's bundle, shows its patch and pushes it with the write token", async () => {
    const { startSha, bundle } = await sandboxWithCommits("a", ["ONE.md", "TWO.md"]);
    const host = await openHostRepo({ hostGit, cloneUrl: repo.cloneUrl, startSha, readToken: gh.issueToken({ permissions: { contents: "read" } }).token, runId: 1 });
    const added = await host.importBundle(bundle);
    expect(added.text).toContain("Add ONE.md");
    expect(added.text).toContain("TWO.md content");
    expect(added.files.sort()).toEqual(["ONE.md", "TWO.md"]);
    await host.push("claude/issue-1", gh.issueToken().token);
    expect(await gh.git.readFile(repo.fullName, "claude/issue-1", "TWO.md")).toBe("TWO.md content\n");
    expect((await gh.git.log(repo.fullName, "claude/issue-1")).map((c) => c.subject).slice(0, 2)).toEqual(["Add TWO.md", "Add ONE.md"]);
    await host.dispose();
  });

  it("says which step failed: a read-only token cannot push, a bundle not based on the start commit is refused", async () => {
    const { startSha, bundle } = await sandboxWithCommits("b", ["THREE.md"]);
    const readToken = gh.issueToken({ permissions: { contents: "read" } }).token;
    const host = await openHostRepo({ hostGit, cloneUrl: repo.cloneUrl, startSha, readToken, runId: 2 });
    await host.importBundle(bundle);
    await expect(host.push("claude/issue-2", readToken)).rejects.toThrow(/^git push failed — the push to claude\/issue-2 was rejected/);
    expect(await gh.git.branches(repo.fullName)).not.toContain("claude/issue-2");

    const other = await sandboxWithCommits("c", ["FOUR.md", "FIVE.md"], 1);
    await expect(host.importBundle(other.bundle)).rejects.toThrow(/^git bundle failed — the sandbox's commits could not be read/);
    await host.dispose();
  });

  it("fails clearly when the start commit cannot be fetched", async () => {
    await expect(openHostRepo({ hostGit, cloneUrl: repo.cloneUrl, startSha: "0".repeat(40), readToken: gh.issueToken().token, runId: 3 })).rejects.toThrow(
      /^git fetch failed — the run's start commit 000000000000 could not be fetched/,
    );
    await expect(openHostRepo({ hostGit, cloneUrl: repo.cloneUrl, startSha: "1".repeat(40), readToken: "ghs_not-a-token", runId: 4 })).rejects.toThrow(/^git fetch failed/);
  });
});

describe("handing a live sandbox the remote's new commits", () => {
  it("bundles only what the sandbox lacks, nothing when it has everything, and the bundle brings it up to date", async () => {
    const token = gh.issueToken({ permissions: { contents: "read" } }).token;
    const sandbox = join(work, "live");
    await git(["clone", "--quiet", repo.cloneUrl, sandbox], work, gitAuthEnv(token));
    const has = (await git(["rev-parse", "HEAD"], sandbox)).split("\n");
    // Someone pushes two commits to main after the sandbox's last run.
    await gh.git.commit(repo.fullName, { branch: "main", files: { "LATER.md": "later\n" }, message: "Later" });
    const tip = await gh.git.commit(repo.fullName, { branch: "main", files: { "LATEST.md": "latest\n" }, message: "Latest" });

    const { tips } = await hostGit.fetchBranches(repo.cloneUrl, token, ["main", "no-such-branch"]);
    expect(tips).toEqual({ main: tip, "no-such-branch": null });
    const bundle = await hostGit.bundleFor(repo.cloneUrl, [tip], has);
    expect(bundle).not.toBeNull();
    await writeFile(join(work, "live.bundle"), bundle!);
    // The sandbox takes it without any token, and has the tip afterwards.
    await git(["bundle", "unbundle", join(work, "live.bundle")], sandbox);
    expect(await git(["cat-file", "-t", tip], sandbox)).toBe("commit");
    expect(await git(["show", `${tip}:LATEST.md`], sandbox)).toBe("latest");
    expect(await hostGit.bundleFor(repo.cloneUrl, [tip], [tip])).toBeNull();
  });

  it("removes a dead process's mirrors and its own on close", async () => {
    const root = await mkdtemp(join(tmpdir(), "host-git-root-"));
    await mkdir(join(root, "csb-git-999999999"), { recursive: true });
    const own = await createHostGit({ tmpRoot: root });
    expect(readdirSync(root).sort()).toEqual([`csb-git-${process.pid}`]);
    await own.close();
    expect(readdirSync(root)).toEqual([]);
    await rm(root, { recursive: true, force: true });
  });
});
