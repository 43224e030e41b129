import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest } from "../support/fake-anthropic/types.ts";
import { runGit } from "../support/fake-github/git.ts";
import type { RepoInfo } from "../support/fake-github/types.ts";
import { planReply, say, tool, type Plan } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * Credit and verification, end to end: the commits a run publishes carry a Co-authored-by trailer
 * for the person who asked (with their account id), keep the agent's own messages, and are made
 * through GitHub's Git Data API (the fake records them and answers them as verified) — with the
 * tree a push gives. A symbolic link goes out by push and the report says so; so does every
 * commit of a repository with `signedCommits: false`, with no note.
 */

const GUIDE: Plan = [
  () => [
    tool("Bash", {
      command: "mkdir -p docs && printf '# Guide\\n' > docs/guide.md && chmod +x src/index.js && git add -A && git commit -qm 'Add the guide' -m 'Written by the agent itself.' && printf 'left over\\n' > NOTES.md",
      description: "Write and commit",
    }),
  ],
  () => [say("Added docs/guide.md and NOTES.md.")],
];
const LINK: Plan = [() => [tool("Bash", { command: "ln -s README.md LINK.md && printf 'x\\n' > plain.txt", description: "Link" })], () => [say("Linked.")]];

function script(req: AgentRequest) {
  return planReply(req.lastUserText.includes("symlink") ? LINK : GUIDE, req);
}

async function bareGit(repo: RepoInfo, args: string[]): Promise<string> {
  const r = await runGit(["--git-dir", repo.bareDir, ...args]);
  if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.toString("utf8").trim();
}

describe("commits credit the person who asked and are verified", () => {
  let w: World;
  let plain: RepoInfo;
  let trailer = "";
  beforeAll(async () => {
    w = await startWorld({ script });
    // The same files, pushed as today: what the API path must match.
    plain = await w.gh.createRepo({ owner: "acme", name: "plain", files: { "README.md": "# Widgets\n", "src/index.js": "export const answer = 41;\n", ".github/claude-sandbox-bot.yml": "signedCommits: false\n" } });
    w.gh.setPermission(plain.fullName, "alice", "write");
    const alice = w.gh.serialize.user("alice") as { id: number };
    trailer = `Co-authored-by: alice <${alice.id}+alice@users.noreply.github.com>`;
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  const ask = async (repo: RepoInfo, text: string) => {
    const ev = w.hooks.issueCommentCreated({ repo, issue: { title: `Please ${text}`, body: "x", user: "bob" }, comment: { body: `${w.trigger} ${text}`, user: "alice" } });
    await w.send(ev);
    const n = ev.payload.issue.number;
    const report = await waitForReport(w, repo, n);
    return { n, report, branch: `claude/issue-${n}` };
  };

  it("made through the API: verified, the agent's message kept, the trailer on every commit, the tree a push gives", async () => {
    const signed = await ask(w.repo, "write the guide");
    expect(signed.report).toMatch(/^### ✅ Done — opened #\d+$/m);
    expect(signed.report).not.toContain("Pushed unsigned");
    const log = await w.gh.git.log(w.repo.fullName, signed.branch);
    expect(log.slice(0, 2).map((c) => c.subject)).toEqual([`Claude: Please write the guide (#${signed.n})`, "Add the guide"]);
    expect(log[1]!.body).toBe(`Written by the agent itself.\n\n${trailer}`);
    expect(log[0]!.body).toBe(trailer);
    for (const c of log.slice(0, 2)) {
      expect(c.author).toContain(w.gh.botUser.login);
      expect(w.gh.state.gitDataCommits.find((r) => r.sha === c.sha), c.subject).toMatchObject({ repo: w.repo.fullName, verified: true });
      const token = w.gh.issueToken({ permissions: { contents: "read" } }).token;
      const rest = await fetch(`${w.gh.url}/api/v3/repos/${w.repo.fullName}/commits/${c.sha}`, { headers: { authorization: `token ${token}` } });
      expect(((await rest.json()) as { commit: { verification: { verified: boolean } } }).commit.verification.verified).toBe(true);
    }
    expect(w.gh.gitRequests.filter((r) => r.repo === w.repo.fullName && r.service === "git-receive-pack")).toEqual([]);

    // signedCommits: false: the same change pushed as today — unverified, credited all the same, no note.
    const pushed = await ask(plain, "write the guide");
    expect(pushed.report).toMatch(/^### ✅ Done — opened #\d+$/m);
    expect(pushed.report).not.toContain("Pushed unsigned");
    const pushedLog = await w.gh.git.log(plain.fullName, pushed.branch);
    expect(pushedLog.slice(0, 2).map((c) => c.body)).toEqual([trailer, `Written by the agent itself.\n\n${trailer}`]);
    expect(w.gh.state.gitDataCommits.filter((r) => r.repo === plain.fullName)).toEqual([]);
    expect(w.gh.gitRequests.some((r) => r.repo === plain.fullName && r.service === "git-receive-pack")).toBe(true);

    // Byte for byte: every path, mode and blob of the two branches is the same, but the config file only one repo has.
    const tree = async (repo: RepoInfo, ref: string) => (await bareGit(repo, ["ls-tree", "-r", ref])).split("\n").filter((l) => !l.endsWith(".github/claude-sandbox-bot.yml"));
    expect(await tree(w.repo, signed.branch)).toEqual(await tree(plain, pushed.branch));
    expect(await tree(w.repo, `${signed.branch}~1`)).toEqual(await tree(plain, `${pushed.branch}~1`));
    expect((await tree(w.repo, signed.branch)).find((l) => l.endsWith("src/index.js"))).toMatch(/^100755 /);
    expect(w.gh.unexpected).toEqual([]);
  });

  it("a symbolic link: pushed, credited, and the report says it went unsigned and why", async () => {
    const before = w.gh.state.gitDataCommits.length;
    const linked = await ask(w.repo, "add a symlink");
    expect(linked.report).toMatch(/^### ✅ Done — opened #\d+$/m);
    expect(linked.report).toContain("Pushed unsigned: `LINK.md` is a symbolic link");
    expect(w.gh.state.gitDataCommits.length).toBe(before);
    expect(await bareGit(w.repo, ["ls-tree", linked.branch, "LINK.md"])).toMatch(/^120000 blob /);
    const [commit] = await w.gh.git.log(w.repo.fullName, linked.branch);
    expect(commit!.body).toBe(trailer);
    expect(w.gh.gitRequests.some((r) => r.repo === w.repo.fullName && r.service === "git-receive-pack")).toBe(true);
    expect(w.gh.unexpected).toEqual([]);
  });
});

/** world.waitForReport looks in the world's own repository; this one, in any. */
async function waitForReport(w: World, repo: RepoInfo, n: number): Promise<string> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const mine = w.gh.state.comments.filter((c) => c.repo === repo.fullName && c.issueNumber === n && c.user.login === w.gh.botUser.login);
    const body = mine[0]?.body ?? "";
    if (/^### (✅|⚪|❌|⏹️)/m.test(body)) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no report on ${repo.fullName}#${n}\n${w.bot.logs.slice(-40).join("\n")}`);
}
