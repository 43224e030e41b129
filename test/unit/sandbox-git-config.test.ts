import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalProvider } from "../../src/sandbox/local.ts";
import type { Sandbox, SandboxProvider } from "../../src/sandbox/types.ts";
import { pinAgentConfigToBase, restoreAgentConfig } from "../../src/workspace/agent-config.ts";
import { createHostGit, type HostGit } from "../../src/workspace/host-git.ts";
import { openHostRepo } from "../../src/workspace/host-repo.ts";
import { commitLeftovers, commitsInSandbox, diffSince, logSince, prepareCheckout, prepareLiveCheckout } from "../../src/workspace/sandbox-git.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import { runGit } from "../support/fake-github/git.ts";
import type { RepoInfo } from "../support/fake-github/types.ts";

/**
 * The bot's own git, in a real local sandbox and on its own machine, after an agent has set up
 * everything git would run: fsmonitor, includes, filters (local and in ~/.gitconfig), diff drivers,
 * an external diff, gpg signing, and an info/attributes of its own. Each trap writes a marker file
 * when it runs; the agent's own git proves they are live, the bot's steps must leave none.
 */

let gh: FakeGitHub;
let repo: RepoInfo;
let work: string;
let provider: SandboxProvider;
let hostGit: HostGit;
const identity = { name: "bot[bot]", email: "bot[bot]@users.noreply.github.com" };

beforeAll(async () => {
  gh = await startFakeGitHub();
  repo = await gh.createRepo({
    owner: "acme",
    name: "traps",
    files: { "README.md": "# traps\n", "data.dat": "one\n", "sub/a.txt": "a\n", "CLAUDE.md": "base instructions\n" },
  });
  work = await mkdtemp(join(tmpdir(), "sandbox-git-config-"));
  provider = createLocalProvider({ root: join(work, "sandboxes"), log: pino({ level: "silent" }) });
  hostGit = await createHostGit({ tmpRoot: work });
});
afterAll(async () => {
  await hostGit?.close();
  await gh?.close();
  await rm(work, { recursive: true, force: true });
});

const readToken = () => gh.issueToken({ permissions: { contents: "read" } }).token;

async function newCheckout(name: string) {
  const sandbox = await provider.create({ metadata: { thread: name }, timeoutMs: 60_000 });
  const checkout = await prepareCheckout({ sandbox, cloneUrl: repo.cloneUrl, token: readToken(), branch: `claude/${name}`, base: "main", identity });
  return { sandbox, checkout };
}

async function sh(sandbox: Sandbox, command: string, env: Record<string, string> = {}): Promise<string> {
  const r = await sandbox.run(["sh", "-c", command], { env });
  if (r.exitCode !== 0) throw new Error(`${command}: exit ${r.exitCode}\n${r.stderr}`);
  return r.stdout;
}

const TRAPS: Record<string, string> = {
  "fsmonitor-local": "exit 0",
  "include-clean": "cat",
  "filter-clean": "cat",
  "filter-smudge": "cat",
  "filter-process": "exit 1",
  "global-clean": "cat",
  "global-smudge": "cat",
  "info-clean": "cat",
  textconv: 'cat "$1"',
  "diff-external": "exit 0",
  gpg: "exit 1",
};

/** What a hostile agent leaves in its sandbox. Markers go to `marks` (outside the sandbox). */
async function plantTraps(sandbox: Sandbox, marks: string): Promise<void> {
  await mkdir(marks, { recursive: true });
  const t = `${sandbox.homeDir}/traps`;
  const scripts = Object.entries(TRAPS)
    .map(([name, body]) => `printf '#!/bin/sh\\necho ran >> ${marks}/${name}\\n%s\\n' '${body.replace(/'/g, "'\\''")}' > ${t}/${name}; chmod +x ${t}/${name}`)
    .join("\n");
  await sh(
    sandbox,
    `set -e
mkdir -p ${t}
${scripts}
cat >> .git/config <<EOF
[include]
	path = ${sandbox.homeDir}/evil.inc
[core]
	fsmonitor = ${t}/fsmonitor-local
[filter "evil"]
	clean = ${t}/filter-clean
	smudge = ${t}/filter-smudge
[filter "proc"]
	process = ${t}/filter-process
[filter "info"]
	clean = ${t}/info-clean
[diff "evil"]
	textconv = ${t}/textconv
[commit]
	gpgSign = true
[gpg]
	program = ${t}/gpg
EOF
cat > ${sandbox.homeDir}/evil.inc <<EOF
[diff]
	external = ${t}/diff-external
[includeIf "gitdir:/"]
	path = ${sandbox.homeDir}/evil2.inc
EOF
cat > ${sandbox.homeDir}/evil2.inc <<EOF
[filter "inc"]
	clean = ${t}/include-clean
EOF
cat > ${sandbox.homeDir}/.gitconfig <<EOF
[filter "global"]
	clean = ${t}/global-clean
	smudge = ${t}/global-smudge
EOF
printf '*.dat filter=evil diff=evil\\n*.proc filter=proc\\n*.incf filter=inc\\n' > .gitattributes
printf '*.txt filter=global\\n' > sub/.gitattributes
printf '*.info filter=info\\n' > .git/info/attributes
`,
  );
}

const marksIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

describe("the agent's git configuration runs nothing in the bot's git", () => {
  it("the traps are live: the agent's own git runs every one of them", async () => {
    const { sandbox } = await newCheckout("proof");
    const marks = join(work, "marks-proof");
    await plantTraps(sandbox, marks);
    // Every git the agent runs sees its ~/.gitconfig and the files its config includes.
    await sh(sandbox, "echo two > data.dat; echo b > sub/a.txt; echo x > more.info; echo i > z.incf; git add -A && git -c commit.gpgSign=false commit -qm 'agent' && git diff HEAD~1 >/dev/null && git diff --no-ext-diff HEAD~1 >/dev/null; git commit -q --allow-empty -m signed; rm data.dat sub/a.txt && git checkout -- . ; echo x > y.proc; git add y.proc; exit 0");
    const seen = marksIn(marks);
    for (const trap of ["fsmonitor-local", "include-clean", "filter-clean", "filter-smudge", "filter-process", "global-clean", "global-smudge", "info-clean", "textconv", "diff-external", "gpg"]) {
      expect(seen, trap).toContain(trap);
    }
    await sandbox.kill();
  }, 60_000);

  it("commit, bundle, diff, log, live checkout and the agent-config swap leave no marker, and the agent's own attributes come back", async () => {
    const { sandbox, checkout } = await newCheckout("bot");
    const marks = join(work, "marks-bot");
    await plantTraps(sandbox, marks);
    // The agent's work: changes under every trapped pattern, and an instruction file of its own.
    await sh(sandbox, "echo two > data.dat; echo b > sub/a.txt; echo x > more.info; echo p > y.proc; echo i > z.incf; echo 'agent instructions' > CLAUDE.md");

    const pinned = await pinAgentConfigToBase(sandbox, "origin/main");
    await restoreAgentConfig(sandbox, pinned);
    const bundlePath = `${sandbox.homeDir}/.csb-changes.bundle`;
    const commit = await commitLeftovers(sandbox, checkout.startSha, "Claude: traps", bundlePath);
    expect(commit.newCommits).toBe(1);
    expect(commit.files.map((f) => f.path).sort()).toEqual([".gitattributes", "CLAUDE.md", "data.dat", "more.info", "sub/.gitattributes", "sub/a.txt", "y.proc", "z.incf"]);
    const patch = await diffSince(sandbox, checkout.startSha);
    expect(patch).toContain("+two");
    expect((await logSince(sandbox, checkout.startSha)).text).toContain("Claude: traps");
    expect(await commitsInSandbox(sandbox)).toContain(commit.headSha);

    // The bot's machine imports the bundle and pushes it.
    const bundle = await sandbox.readBytes(bundlePath);
    const host = await openHostRepo({ hostGit, cloneUrl: repo.cloneUrl, startSha: checkout.startSha, readToken: readToken(), runId: 1 });
    expect((await host.importBundle(bundle!)).text).toContain("two");
    await host.push("claude/bot", gh.issueToken().token);
    expect(await gh.git.readFile(repo.fullName, "claude/bot", "data.dat")).toBe("two\n");

    // A follow-up in the same (live) sandbox checks out the start commit again: files change.
    await prepareLiveCheckout({ sandbox, bundle: null, branch: "claude/bot", from: checkout.startSha, branchExisted: true, base: { name: "main", sha: checkout.startSha }, identity });
    expect(await sandbox.readFile(`${sandbox.workdir}/data.dat`)).toBe("one\n");

    expect(marksIn(marks)).toEqual([]);
    // The agent's info/attributes is its own again, and nothing of the bot's is left beside it.
    expect(await sandbox.readFile(`${sandbox.workdir}/.git/info/attributes`)).toBe("*.info filter=info\n");
    expect(existsSync(`${sandbox.workdir}/.git/info/attributes.csb-agent`)).toBe(false);
    await sandbox.kill();
  }, 60_000);

  it("a core.worktree the agent points elsewhere does not make the bot commit (or wipe) another directory", async () => {
    const { sandbox, checkout } = await newCheckout("worktree");
    await sh(sandbox, `mkdir -p "$HOME/elsewhere" && echo secret > "$HOME/elsewhere/stolen.txt" && git config core.worktree "$HOME/elsewhere" && echo two > "$PWD/data.dat"`);
    const commit = await commitLeftovers(sandbox, checkout.startSha, "Claude: worktree");
    expect(commit.files.map((f) => f.path)).toEqual(["data.dat"]);
    await prepareLiveCheckout({ sandbox, bundle: null, branch: "claude/worktree", from: checkout.startSha, branchExisted: false, base: { name: "main", sha: checkout.startSha }, identity });
    expect(await sandbox.readFile(`${sandbox.homeDir}/elsewhere/stolen.txt`)).toBe("secret\n");
    await sandbox.kill();
  }, 60_000);
});

describe("nothing from a sandbox configures the bot's mirror", () => {
  it("a bundle carries objects under one ref: the mirror's config and refs are the bot's; a bundle asking for a capability is refused", async () => {
    const { sandbox, checkout } = await newCheckout("mirror");
    const marks = join(work, "marks-mirror");
    await plantTraps(sandbox, marks);
    // A tree that would configure a checkout if git ever took config from content.
    await sh(sandbox, `printf '[submodule "x"]\\n\\tpath = x\\n\\turl = ext::sh -c touch% ${marks}/ext\\n' > .gitmodules; printf '[core]\\n\\tfsmonitor = ${marks}/../x\\n' > config; echo two > data.dat`);
    const bundlePath = `${sandbox.homeDir}/.csb-changes.bundle`;
    await commitLeftovers(sandbox, checkout.startSha, "Claude: content", bundlePath);
    // The agent adds refs of its own to the bundle: only HEAD is taken.
    await sh(sandbox, `git update-ref refs/replace/${checkout.startSha} HEAD && git bundle create -q ${bundlePath} ${checkout.startSha}..HEAD refs/replace/${checkout.startSha} 2>/dev/null || git bundle create -q ${bundlePath} ${checkout.startSha}..HEAD`);
    const bundle = (await sandbox.readBytes(bundlePath))!;

    const host = await openHostRepo({ hostGit, cloneUrl: repo.cloneUrl, startSha: checkout.startSha, readToken: readToken(), runId: 2 });
    const mirror = readdirSync(join(work, `csb-git-${process.pid}`)).find((d) => d.endsWith(".git"))!;
    const mirrorDir = join(work, `csb-git-${process.pid}`, mirror);
    const configBefore = await readFile(join(mirrorDir, "config"), "utf8");
    const refsOf = async () => (await runGit(["for-each-ref", "--format=%(refname)"], { cwd: mirrorDir })).stdout.toString("utf8").split("\n").filter((r) => !r.startsWith("refs/csb/") && r !== "");
    const refsBefore = await refsOf();
    await host.importBundle(bundle);
    expect(await readFile(join(mirrorDir, "config"), "utf8")).toBe(configBefore);
    expect(await refsOf()).toEqual(refsBefore);
    await host.push("claude/mirror", gh.issueToken().token);
    expect(marksIn(marks)).toEqual([]);

    // A v3 bundle with a filter capability (a partial pack) is not fetched at all.
    const text = Buffer.from(bundle);
    const v2 = "# v2 git bundle\n";
    expect(text.subarray(0, v2.length).toString("latin1")).toBe(v2);
    const filtered = Buffer.concat([Buffer.from("# v3 git bundle\n@filter=blob:none\n"), text.subarray(v2.length)]);
    await expect(host.importBundle(new Uint8Array(filtered))).rejects.toThrow(/git bundle failed — the sandbox's commits were refused[\s\S]*@filter=blob:none/);
    await host.dispose();
    await sandbox.kill();
  }, 60_000);
});
