import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import type { RepoInfo } from "../support/fake-github/types.ts";
import { waitFor } from "../support/wait-for.ts";
import { startWorld, type World } from "./harness.ts";
import { say, stepOf, tool } from "./script-helpers.ts";

/**
 * Fair share across installations through the whole bot (issue 19 item 4): installation A ("acme")
 * floods the queue with 50 mentions, each its own thread; then installation B ("globex") mentions
 * the bot once. B's run must be the next to start once one worker slot frees up, not after A's 50.
 *
 * A's runs are held in the scripted model (their first model request is answered only when the test
 * releases it), so which run starts when a slot frees up is decided by the bot alone, and 50 queued
 * runs cost no more than their acknowledgements. The start witness is each run's first agent request
 * to the model: with the slots full, a run reaches the model only after the bot has claimed it.
 * The control comes first: with only A queued, the freed slot goes to A's next run.
 *
 * With one worker both installations have nothing running when the slot frees, so the running
 * count alone cannot choose: the tie goes to the installation whose last start is longest ago.
 * With two, A still has one running and B none.
 */

const FLOOD = 50;
const TAG = /job ([AB])-(\d+)\b/g;

/** The job a model request belongs to: the last "job X-n" in its conversation (the mention). */
function jobOf(req: AgentRequest): string | null {
  const match = [...JSON.stringify(req.messages).matchAll(TAG)].at(-1);
  return match ? `${match[1]}-${match[2]}` : null;
}

/** The scripted model: records each run's first request (its start) and holds A's runs until released. */
function heldModel() {
  const starts: string[] = [];
  const held = new Map<string, () => void>();
  let holding = true;
  const script = (req: AgentRequest): Reply | Promise<Reply> => {
    const job = jobOf(req);
    // B's run changes a file, so it pushes and opens a pull request with globex's tokens.
    if (job === "B-1") {
      if (!starts.includes(job)) starts.push(job);
      return { content: stepOf(req) === 0 ? [tool("Bash", { command: "printf 'Globex was here.\\n' > GLOBEX.md", description: "Write the note" })] : [say("Answered B-1: wrote GLOBEX.md.")] };
    }
    const reply: Reply = { content: [say(`Answered ${job ?? "?"}.`)] };
    if (!job || starts.includes(job)) return reply;
    starts.push(job);
    if (!holding || !job.startsWith("A-")) return reply;
    return new Promise<Reply>((resolve) => held.set(job, () => resolve(reply)));
  };
  return {
    script,
    starts,
    /** Answers a held run's request: the run finishes and frees its slot. */
    release(job: string) {
      const go = held.get(job);
      if (!go) throw new Error(`${job} is not held (held: ${[...held.keys()].join(", ")})`);
      held.delete(job);
      go();
    },
    /** Stops holding: everything held and to come is answered at once (for shutdown). */
    releaseAll() {
      holding = false;
      for (const go of held.values()) go();
      held.clear();
    },
  };
}

describe.each([1, 2])("fair share across installations with %i worker(s)", (workers) => {
  const model = heldModel();
  let w: World;
  let globex: RepoInfo;
  let globexInstallation: number;

  beforeAll(async () => {
    // WARM_CLAUDE off: every run is a CLI of its own that exits with the run, nothing kept between.
    w = await startWorld({ script: model.script, env: { WORKER_CONCURRENCY: String(workers), WARM_CLAUDE: "off", PROGRESS_INTERVAL_MS: "1000", LOG_LEVEL: "info" } });
    globexInstallation = w.gh.addInstallation({ account: "globex" });
    globex = await w.gh.createRepo({ owner: "globex", name: "gadgets", files: { "README.md": "# Gadgets\n" } });
    w.gh.setPermission(globex.fullName, "bob", "write");
  }, 60_000);
  afterAll(async () => {
    model.releaseAll();
    await w?.close();
  });

  const commentsOn = (repo: RepoInfo, issue: number) =>
    w.gh.state.comments.filter((c) => c.repo === repo.fullName && c.issueNumber === issue && c.user.login === w.gh.botUser.login);
  const reportOn = (repo: RepoInfo, issue: number) =>
    waitFor(`a report on ${repo.fullName}#${issue}`, () => commentsOn(repo, issue).find((c) => /^### (✅|⚪|❌|⏹️)/m.test(c.body)), 60_000, 50).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n--- bot log (last 30 lines) ---\n${w.bot.logs.slice(-30).join("\n")}`);
    });
  /** Resolves with the next run to reach the model after `before` starts. */
  const nextStart = (before: number) => waitFor(`start #${before + 1}`, () => model.starts[before], 60_000, 20);

  it(`B's single mention is the next run to start when a slot frees, ahead of A's ${FLOOD} queued ones`, async () => {
    const aIssues: number[] = [];
    for (let n = 1; n <= FLOOD; n++) {
      const ev = w.hooks.issueCommentCreated({
        repo: w.repo,
        issue: { title: `Acme task ${n}`, body: "Do a thing.", user: "alice" },
        comment: { body: `${w.trigger} job A-${n}`, user: "alice" },
      });
      expect(ev.payload.installation?.id).toBe(w.gh.installationId);
      expect((await w.send(ev)).status).toBe(200);
      aIssues.push(ev.payload.issue.number);
    }
    // Every slot holds one of A's first runs (they reach the model in either order); the rest wait in the queue.
    await waitFor(`${workers} of A's runs at the model`, () => model.starts.length >= workers, 60_000, 20);
    expect([...model.starts].sort()).toEqual(Array.from({ length: workers }, (_, i) => `A-${i + 1}`));

    // Control: with only A queued, the slot A-1 frees goes to A's next run.
    model.release("A-1");
    await reportOn(w.repo, aIssues[0]!);
    expect(await nextStart(workers)).toBe(`A-${workers + 1}`);

    // B mentions the bot once, behind A's queued runs.
    const ev = w.hooks.issueCommentCreated({
      repo: globex,
      issue: { title: "Globex task", body: "Do our one thing.", user: "bob" },
      comment: { body: `${w.trigger} job B-1`, user: "bob" },
    });
    expect(ev.payload.installation?.id).toBe(globexInstallation);
    expect((await w.send(ev)).status).toBe(200);
    const bIssue = ev.payload.issue.number;
    expect(commentsOn(globex, bIssue).map((c) => c.body)).toEqual([expect.stringMatching(/Working on it/)]);
    // A's runs waiting behind the ones that have started (A-1 … A-<workers + 1>).
    const queuedA = FLOOD - model.starts.length;
    expect(queuedA).toBe(FLOOD - workers - 1);

    // The next slot to free up goes to B, not to A's next queued run.
    const startsBefore = model.starts.length;
    model.release("A-2");
    await reportOn(w.repo, aIssues[1]!);
    expect(await nextStart(startsBefore)).toBe("B-1");
    const report = await reportOn(globex, bIssue);
    const pr = w.gh.state.pulls.find((p) => p.repo === globex.fullName);
    expect(pr, report.body).toMatchObject({ head: `claude/issue-${bIssue}`, base: "main", draft: true });
    expect(report.body).toMatch(new RegExp(`^### ✅ Done — opened #${pr!.number}$`, "m"));
    expect(await w.gh.git.readFile(globex.fullName, `claude/issue-${bIssue}`, "GLOBEX.md")).toBe("Globex was here.\n");
    // B went ahead of all of A's waiting runs: before B, only the ones already started when B asked.
    expect(model.starts.indexOf("B-1")).toBe(workers + 1);

    // B's run used globex's installation: its tokens were minted there, and never reached acme's repository.
    const mints = w.gh.requests.filter((r) => /^\/app\/installations\/\d+\/access_tokens$/.test(r.path)).map((r) => r.path);
    expect(mints).toContain(`/app/installations/${globexInstallation}/access_tokens`);
    expect(w.gh.unexpected).toEqual([]);
    expect(w.gh.gitDenied.filter((d) => d.kind !== "missing")).toEqual([]);
  }, 120_000);
});
