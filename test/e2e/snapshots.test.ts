import { filesWithBytesUnder } from "../support/files-under.ts";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RepoInfo } from "../support/fake-github/types.ts";
import { cwdOf, planReply, say, tool, type Plan } from "./script-helpers.ts";
import { waitFor } from "../support/wait-for.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * Repository snapshots end to end (local provider: a snapshot is a copy of the sandbox's
 * directory): the first thread clones and sets up, and the bot snapshots that clean checkout; the
 * next threads start from it, get only what changed through the bot's mirror, and run the setup
 * again only when a lockfile changed. What they push is byte for byte what a fresh clone pushes,
 * and nothing of one thread (branch, files, transcript) nor any token is in the snapshot. Each
 * report says where its sandbox came from and whether the run took the snapshot, and the time
 * spent taking it is in that run's sandbox cost (a rate of $1 a second here, so dollars are seconds).
 */

const logDir = mkdtempSync(join(tmpdir(), "csb-setup-log-"));
const setupLog = join(logDir, "setup-runs.log");
// The setup's output is ignored by git (node_modules), like an `npm ci`'s; each run of it is logged on the host.
const setupFor = (tag: string) => `mkdir -p node_modules/dep && cp package-lock.json node_modules/dep/lock-copy && echo ${tag} >> ${setupLog}`;
const configFor = (tag: string) => `setup:\n  - "${setupFor(tag)}"\n`;

const PLAN: Plan = [
  (req) => [tool("Write", { file_path: `${cwdOf(req)}/notes.txt`, content: "hello from the thread\n" })],
  () => [tool("Bash", { command: "cp node_modules/dep/lock-copy used-lock.txt", description: "Use the setup's output" })],
  () => [say("Wrote notes.txt and used-lock.txt.")],
];

function runsOfSetup(tag: string): number {
  try {
    return readFileSync(setupLog, "utf8").split("\n").filter((l) => l === tag).length;
  } catch {
    return 0;
  }
}

const ADMIN_TOKEN = "snapshots-e2e-admin-token-0123456789abcdef";
const COST_LINE = /^\*\*Cost:\*\*.*$/m;
const costLine = (body: string) => body.match(COST_LINE)?.[0] ?? "";

interface StoredRun {
  id: number;
  finishedAt: string;
  result: { sandboxCostUsd: number; phaseMs: Record<string, number>; snapshot?: { used: string | null; taken: boolean; setup: string; takenMs?: number } };
}

function revParse(repo: RepoInfo, ref: string): string {
  return execFileSync("git", ["--git-dir", repo.bareDir, "rev-parse", ref], { encoding: "utf8" }).trim();
}

function treeOf(repo: RepoInfo, ref: string): string {
  return execFileSync("git", ["--git-dir", repo.bareDir, "rev-parse", `${ref}^{tree}`], { encoding: "utf8" }).trim();
}

describe("repository snapshots: a new thread starts from a set-up checkout", () => {
  let w: World;
  let gadgets: RepoInfo;
  const snapshotsDir = () => join(w.bot.dataDir, "sandboxes", ".snapshots");
  const snapshotIds = () => readdirSync(snapshotsDir()).filter((n) => n.startsWith("snap-"));
  const mention = async (repo: RepoInfo, title: string) => {
    const ev = w.hooks.issueCommentCreated({ repo, issue: { title, body: "", user: "alice" }, comment: { body: `${w.trigger} make the change`, user: "alice" } });
    await w.send(ev);
    const issueNumber = ev.payload.issue.number;
    const report = await waitFor(`the report on ${repo.fullName}#${issueNumber}`, () => w.gh.state.comments.find((c) => c.repo === repo.fullName && c.issueNumber === issueNumber && c.user.login === w.gh.botUser.login && /^### (✅|⚪|❌|⏹️)/m.test(c.body)), 120_000, 100);
    const pr = w.gh.state.pulls.find((p) => p.repo === repo.fullName && p.head.endsWith(`issue-${issueNumber}`));
    return { issueNumber, report, branch: pr?.head ?? "" };
  };
  const logged = (msg: string) => w.bot.logRecords().filter((r) => r.msg === msg);
  /** The run a report is of (its marker), as the run API has it stored. */
  const storedRun = async (body: string): Promise<StoredRun> => {
    const id = Number(/<!-- claude-sandbox-bot run:(\d+) -->/.exec(body)?.[1]);
    const res = await fetch(`${w.bot.url}/api/runs/${id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as StoredRun;
  };
  /**
   * The snapshot this run took was taken inside its sandbox's billed window: the window (sandbox
   * seconds, ending when the run finished) opens before the snapshot began, and the time it took
   * is part of the setup phase, not after the agent or the report.
   */
  const expectSnapshotBilled = async (body: string) => {
    const run = await storedRun(body);
    const took = logged("took a repository snapshot").filter((r) => r.run === run.id);
    expect(took).toHaveLength(1);
    const snapshotBegan = (took[0]!.time as number) - (took[0]!.tookMs as number);
    const sandboxMs = run.result.sandboxCostUsd * 1000;
    expect(Date.parse(run.finishedAt) - sandboxMs).toBeLessThanOrEqual(snapshotBegan);
    expect(run.result.snapshot).toMatchObject({ taken: true });
    expect(run.result.snapshot!.takenMs!).toBeGreaterThanOrEqual(took[0]!.tookMs as number);
    expect(run.result.snapshot!.takenMs!).toBeLessThanOrEqual(run.result.phaseMs.setup!);
    return run;
  };

  beforeAll(async () => {
    w = await startWorld({
      script: (req) => planReply(PLAN, req),
      env: { ADMIN_TOKEN, SANDBOX_COST_PER_SECOND_USD: "1" },
      files: { ".gitignore": "node_modules/\n", "package-lock.json": '{"lockfileVersion":3,"v":1}\n', ".github/claude-sandbox-bot.yml": configFor("widgets") },
    });
    gadgets = await w.gh.createRepo({ owner: "acme", name: "gadgets", files: { ".gitignore": "node_modules/\n", "package-lock.json": '{"v":"gadgets"}\n', ".github/claude-sandbox-bot.yml": configFor("gadgets") } });
    w.gh.setPermission(gadgets.fullName, "alice", "write");
  }, 60_000);
  afterAll(async () => {
    if (process.env.SNAPSHOT_E2E_LOG) (await import("node:fs")).writeFileSync(process.env.SNAPSHOT_E2E_LOG, w.bot.logs.join("\n"));
    await w?.close();
    rmSync(logDir, { recursive: true, force: true });
  });

  let first: Awaited<ReturnType<typeof mention>>;
  let snapshotSha = "";
  it("the first thread clones and sets up, and leaves a snapshot with nothing of the thread and no token in it", async () => {
    snapshotSha = revParse(w.repo, "refs/heads/main");
    first = await mention(w.repo, "Thread-one-marker");
    expect(first.report.body).toMatch(/^### ✅/m);
    // The report says the run took it, and its sandbox cost holds the time that took.
    expect(costLine(first.report.body)).toMatch(/ · \*\*Sandbox:\*\* snapshot taken for the next threads \((under 1s|\d+s), in the sandbox cost\)$/);
    expect(first.report.body).not.toContain("from the repository's snapshot");
    expect((await expectSnapshotBilled(first.report.body)).result.snapshot).toMatchObject({ used: null, setup: "ran", taken: true });
    expect(runsOfSetup("widgets")).toBe(1);
    expect(logged("took a repository snapshot")).toHaveLength(1);
    expect(snapshotIds()).toHaveLength(1);
    const files = filesWithBytesUnder(join(snapshotsDir(), snapshotIds()[0]!));
    const paths = files.map((f) => f.path);
    // The setup's output is in it; the thread's files, branch and transcript are not.
    expect(paths.some((p) => p.endsWith("repo/node_modules/dep/lock-copy"))).toBe(true);
    expect(paths.some((p) => p.endsWith("notes.txt") || p.endsWith("used-lock.txt"))).toBe(false);
    expect(paths.filter((p) => p.includes("/.claude/projects/"))).toEqual([]);
    expect(first.branch).toMatch(/issue-/);
    const branchName = Buffer.from(first.branch);
    // Each token as it is, and in the form git gets it (the Basic auth header's base64).
    const tokens = w.gh.state.tokens.flatMap((t) => [Buffer.from(t.token), Buffer.from(Buffer.from(`x-access-token:${t.token}`).toString("base64"))]);
    expect(tokens.length).toBeGreaterThan(0);
    for (const f of files) {
      expect(f.bytes.includes(branchName), `${f.path} names the first thread's branch`).toBe(false);
      for (const token of tokens) expect(f.bytes.includes(token), `${f.path} holds a token`).toBe(false);
    }
  }, 150_000);

  it("the next thread starts from the snapshot, skips the setup, and pushes exactly what the fresh clone pushed", async () => {
    const second = await mention(w.repo, "Second");
    expect(second.report.body).toMatch(/^### ✅/m);
    expect(costLine(second.report.body)).toMatch(new RegExp(` · \\*\\*Sandbox:\\*\\* from the repository's snapshot of \`${snapshotSha.slice(0, 7)}\` \\(setup skipped\\)$`));
    expect(second.report.body).not.toContain("snapshot taken");
    const stored = await storedRun(second.report.body);
    expect(stored.result.snapshot).toEqual({ used: snapshotSha, setup: "skipped", taken: false });
    // Started from the snapshot inside the billed window: it opened before that sandbox was there, and covers every phase from the sandbox's on.
    const startedFrom = logged("started the sandbox from the repository's snapshot").filter((r) => r.run === stored.id).at(-1)!;
    expect(Date.parse(stored.finishedAt) - stored.result.sandboxCostUsd * 1000).toBeLessThanOrEqual(startedFrom.time as number);
    const p = stored.result.phaseMs;
    expect(stored.result.sandboxCostUsd * 1000).toBeGreaterThanOrEqual((p.sandbox ?? 0) + (p.clone ?? 0) + (p.agent ?? 0) - 50);
    expect(runsOfSetup("widgets")).toBe(1);
    expect(logged("started from the repository's snapshot; no setup input changed, so the setup is not run again")).toHaveLength(1);
    expect(second.branch).not.toBe(first.branch);
    // Byte for byte: the same tree (same start commit, same edits, the setup's output used the same way).
    expect(treeOf(w.repo, second.branch)).toBe(treeOf(w.repo, first.branch));
    expect(await w.gh.git.readFile(w.repo.fullName, second.branch, "used-lock.txt")).toBe('{"lockfileVersion":3,"v":1}\n');
    // Nothing of the first thread in the second's sandbox: not its branch, not its files, not its transcript.
    const sandboxes = join(w.bot.dataDir, "sandboxes");
    const secondSandbox = readdirSync(sandboxes).filter((n) => n.startsWith("local-")).map((n) => join(sandboxes, n)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
    const firstBranch = Buffer.from(first.branch);
    const git = (args: string[]) => execFileSync("git", args, { cwd: join(secondSandbox, "repo"), encoding: "utf8" });
    expect(git(["branch", "-a", "--format=%(refname)"])).not.toContain(first.branch);
    expect(git(["branch", "-a", "--format=%(refname)"])).toContain(second.branch);
    for (const f of filesWithBytesUnder(join(secondSandbox, "repo", ".git"))) expect(f.bytes.includes(firstBranch), f.path).toBe(false);
    // Its branch came through the bot's mirror: no GitHub token, in either form, anywhere in it.
    const tokens = w.gh.state.tokens.flatMap((t) => [Buffer.from(t.token), Buffer.from(Buffer.from(`x-access-token:${t.token}`).toString("base64"))]);
    for (const f of filesWithBytesUnder(secondSandbox)) for (const token of tokens) expect(f.bytes.includes(token), `${f.path} holds a token`).toBe(false);
    const transcripts = filesWithBytesUnder(join(secondSandbox, "home")).filter((f) => f.path.endsWith(".jsonl"));
    expect(transcripts.length).toBeGreaterThan(0);
    for (const t of transcripts) {
      expect(t.bytes.toString()).not.toContain("Thread-one-marker");
      expect(t.bytes.includes(firstBranch), t.path).toBe(false);
    }
  }, 150_000);

  it("a change to the default branch arrives through the mirror; the setup runs again only when a lockfile changed", async () => {
    await w.gh.git.commit(w.repo.fullName, { branch: "main", files: { "README.md": "# Widgets, moved on\n" }, message: "Docs" });
    const third = await mention(w.repo, "Third");
    expect(third.report.body).toMatch(/^### ✅/m);
    expect(costLine(third.report.body)).toContain(`**Sandbox:** from the repository's snapshot of \`${snapshotSha.slice(0, 7)}\` (setup skipped)`);
    expect(runsOfSetup("widgets")).toBe(1);
    expect(await w.gh.git.readFile(w.repo.fullName, third.branch, "README.md")).toBe("# Widgets, moved on\n");

    await w.gh.git.commit(w.repo.fullName, { branch: "main", files: { "package-lock.json": '{"lockfileVersion":3,"v":2}\n' }, message: "Bump" });
    const fourth = await mention(w.repo, "Fourth");
    expect(fourth.report.body).toMatch(/^### ✅/m);
    // From the old snapshot, the setup re-run for the lockfile, and a new snapshot taken (and billed) by this run.
    expect(costLine(fourth.report.body)).toMatch(
      new RegExp(` · \\*\\*Sandbox:\\*\\* from the repository's snapshot of \`${snapshotSha.slice(0, 7)}\` \\(setup re-run: \`package-lock\\.json\` changed\\); snapshot taken for the next threads \\((under 1s|\\d+s), in the sandbox cost\\)$`),
    );
    expect((await expectSnapshotBilled(fourth.report.body)).result.snapshot).toMatchObject({ used: snapshotSha, setup: "ran", taken: true });
    expect(runsOfSetup("widgets")).toBe(2);
    expect(await w.gh.git.readFile(w.repo.fullName, fourth.branch, "used-lock.txt")).toBe('{"lockfileVersion":3,"v":2}\n');
    // The stale snapshot was replaced by one of the new head (set up for the new lockfile).
    expect(logged("took a repository snapshot")).toHaveLength(2);
    expect(snapshotIds()).toHaveLength(1);
  }, 300_000);

  it("a follow-up goes to the thread's paused sandbox, not the snapshot; once that sandbox is gone, the snapshot and the saved transcript", async () => {
    const sandboxes = join(w.bot.dataDir, "sandboxes");
    const threadKey = `${w.repo.fullName}#${first.issueNumber}`;
    const follow = async (nth: number) => {
      const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: first.issueNumber, comment: { body: `${w.trigger} once more`, user: "alice" } });
      await w.send(ev);
      return waitFor(`report ${nth}`, () => w.botComments(first.issueNumber).filter((c) => /^### (✅|⚪|❌|⏹️)/m.test(c.body))[nth - 1], 120_000, 100);
    };
    const fromSnapshot = () => logged("started the sandbox from the repository's snapshot").length;
    const before = fromSnapshot();
    const warm = await follow(2);
    expect(warm.body).toContain("resumed warm in the live sandbox");
    // The thread's own sandbox: no snapshot in it, so nothing about one in the report.
    expect(warm.body).not.toContain("**Sandbox:**");
    expect(fromSnapshot()).toBe(before);
    // The reaper (or a restart) took the thread's sandbox.
    for (const id of readdirSync(sandboxes).filter((n) => n.startsWith("local-"))) {
      const meta = JSON.parse(readFileSync(join(sandboxes, id, "metadata.json"), "utf8")) as { metadata: { thread?: string } };
      if (meta.metadata.thread === threadKey) rmSync(join(sandboxes, id), { recursive: true, force: true });
    }
    const third = await follow(3);
    expect(third.body).toContain("resumed from the saved transcript");
    // From the fourth thread's snapshot (the bumped lockfile); this thread's branch still has the old one, so the setup ran again.
    expect(costLine(third.body)).toContain(`**Sandbox:** from the repository's snapshot of \`${revParse(w.repo, "refs/heads/main").slice(0, 7)}\` (setup re-run: \`package-lock.json\` changed)`);
    expect(costLine(third.body)).not.toContain("snapshot taken");
    expect(fromSnapshot()).toBe(before + 1);
    // Still the thread's own branch, with its first run's files.
    expect(await w.gh.git.readFile(w.repo.fullName, first.branch, "notes.txt")).toBe("hello from the thread\n");
  }, 300_000);

  it("another repository never starts from this one's snapshot", async () => {
    const other = await mention(gadgets, "Gadgets");
    expect(other.report.body).toMatch(/^### ✅/m);
    expect(costLine(other.report.body)).toContain("**Sandbox:** snapshot taken for the next threads (");
    expect(other.report.body).not.toContain("from the repository's snapshot");
    expect(runsOfSetup("gadgets")).toBe(1);
    expect(await w.gh.git.readFile(gadgets.fullName, other.branch, "used-lock.txt")).toBe('{"v":"gadgets"}\n');
    expect(logged("took a repository snapshot")).toHaveLength(3);
    expect(snapshotIds()).toHaveLength(2);
    // Every sandbox started from a snapshot was the repository's own: widgets' three later threads, none of gadgets'.
    expect(new Set(logged("started the sandbox from the repository's snapshot").map((r) => r.repo))).toEqual(new Set([w.repo.fullName]));
    expect(logged("started the sandbox from the repository's snapshot")).toHaveLength(4);
  }, 150_000);
});
