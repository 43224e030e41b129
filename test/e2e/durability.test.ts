import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import { startBot } from "../support/start-bot.ts";
import { waitFor } from "../support/wait-for.ts";
import { sendWebhook } from "../support/webhooks.ts";
import { planReply, say, tool } from "./script-helpers.ts";
import { botEnv, reportJson, startWorld, type World } from "./harness.ts";

/** Runs that survive: redeliveries, a lost sandbox, a killed bot. */

let hold = false;
function script(req: AgentRequest): Reply {
  const prompt = req.lastUserText;
  const note = [...prompt.matchAll(/note: (\w+)/g)].at(-1)?.[1] ?? "x";
  // While `hold` is set, the first step of a "slow" request takes long enough to kill the bot under it.
  if (hold && note.startsWith("slow")) return { content: [say("thinking…")], delayMs: 20_000 };
  return planReply([() => [tool("Bash", { command: `echo ${note} >> notes.txt`, description: "note" })], () => [say(`Noted ${note}.`)]], req);
}

describe("durability", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script, env: { RUN_LEASE_SECONDS: "3" } });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("20 redeliveries of one delivery id give one run", async () => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Once", body: "x", user: "alice" }, comment: { body: `${w.trigger} add a note: once`, user: "alice" } });
    const deliveryId = "5e1f0c9a-0000-4000-8000-000000000001";
    const answers = await Promise.all(Array.from({ length: 20 }, () => w.send(ev, { deliveryId })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const report = await w.waitForReport(ev.payload.issue.number);
    await new Promise((r) => setTimeout(r, 1000));
    expect(w.botComments(ev.payload.issue.number)).toEqual([report]);
    expect(w.gh.state.reactions.filter((r) => r.commentId === ev.comment.id)).toHaveLength(1);
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${ev.payload.issue.number}`, "notes.txt")).toBe("once\n");
  });

  it("answers GitHub without waiting on GitHub's API: the acknowledgement follows the 2xx", async () => {
    // GitHub's API stalls on the permission check; the webhook must not wait for it.
    const gate = w.gh.hold("GET", /\/collaborators\/alice\/permission$/);
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Slow API", body: "x", user: "alice" }, comment: { body: `${w.trigger} add a note: later`, user: "alice" } });
    const n = ev.payload.issue.number;
    const response = await sendWebhook(w.bot.webhookUrl, { ...ev, secret: w.bot.secret });
    expect(response.status).toBe(200);
    await waitFor("the permission check to reach GitHub", () => w.gh.requests.some((r) => r.path === "/repos/acme/widgets/collaborators/alice/permission"));
    expect(w.gh.state.reactions.filter((r) => r.commentId === ev.comment.id)).toEqual([]);
    expect(w.botComments(n)).toEqual([]);
    gate.release();
    const report = await w.waitForReport(n);
    expect(report.body).toMatch(/^### ✅ Done/m);
    expect(w.gh.state.reactions.filter((r) => r.commentId === ev.comment.id)).toHaveLength(1);
    expect(w.botComments(n)).toEqual([report]);
  });

  it("moves to a new sandbox when the live one's checkout cannot be brought up to date, and still resumes", async () => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Broken checkout", body: "x", user: "alice" }, comment: { body: `${w.trigger} add a note: before`, user: "alice" } });
    const n = ev.payload.issue.number;
    await w.send(ev);
    const first = await w.waitForReport(n);
    // Whatever happened in the paused sandbox, its checkout is no longer a git repository.
    const root = join(w.bot.dataDir, "sandboxes");
    for (const id of readdirSync(root)) rmSync(join(root, id, "repo", ".git"), { recursive: true, force: true });
    const before = w.model.agentRequests().length;
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: n, comment: { body: `${w.trigger} add a note: after`, user: "alice" } }));
    const second = await w.waitForReport(n, 2);
    expect(second.body).toMatch(/^### ✅ Done/m);
    expect(second.body).toContain("(resumed from the saved transcript)");
    expect(w.bot.logs.join("\n")).toContain("the live sandbox's checkout could not be brought up to date; continuing in a new sandbox");
    expect(reportJson(second.body).session_id).toBe(reportJson(first.body).session_id);
    expect(JSON.stringify(w.model.agentRequests()[before]!.body.messages)).toContain("Noted before.");
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${n}`, "notes.txt")).toBe("before\nafter\n");
  });

  it("resumes the conversation in a new sandbox when the thread's sandbox is gone (the slow path)", async () => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Slow path", body: "x", user: "alice" }, comment: { body: `${w.trigger} add a note: first`, user: "alice" } });
    const n = ev.payload.issue.number;
    await w.send(ev);
    const first = await w.waitForReport(n);
    // Lose the paused sandbox, as if E2B had expired it.
    rmSync(join(w.bot.dataDir, "sandboxes"), { recursive: true, force: true });
    const before = w.model.agentRequests().length;
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: n, comment: { body: `${w.trigger} add a note: second`, user: "alice" } }));
    const second = await w.waitForReport(n, 2);
    expect(second.body).toContain("(resumed from the saved transcript)");
    expect(reportJson(second.body).session_id).toBe(reportJson(first.body).session_id);
    // The model request carries the first turn: the session really came back.
    const request = JSON.stringify(w.model.agentRequests()[before]!.body.messages);
    expect(request).toContain("add a note: first");
    expect(request).toContain("Noted first.");
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${n}`, "notes.txt")).toBe("first\nsecond\n");
  });
});

describe("crash recovery", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script, env: { RUN_LEASE_SECONDS: "2" } });
  }, 60_000);
  afterAll(async () => {
    hold = false;
    await w?.close();
  });

  it("after kill -9 mid-run and a restart, the run is retried, queued mentions still run, and nothing is left working", async () => {
    hold = true;
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Crash", body: "x", user: "alice" }, comment: { body: `${w.trigger} add a note: slowone`, user: "alice" } });
    const n = ev.payload.issue.number;
    await w.send(ev);
    // A second mention in the same thread, sent before the first run's Claude starts (one sent
    // while it works would go into that run: steering), waits behind the first.
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: n, comment: { body: `${w.trigger} add a note: queued`, user: "alice" } }));
    await waitFor("the second progress comment", () => w.botComments(n).length === 2);
    await waitFor("Claude to be working", () => w.model.agentRequests().some((r) => JSON.stringify(r.body.messages).includes("slowone")), 30_000);

    await w.bot.kill("SIGKILL");
    hold = false;
    w.bot = await startBot({ env: botEnv(w.gh, w.model.url, { RUN_LEASE_SECONDS: "2" }), dataDir: w.bot.dataDir });

    const first = await w.waitForReport(n, 1, 60_000);
    const second = await w.waitForReport(n, 2, 60_000);
    expect(first.body).toMatch(/^### ✅ Done/m);
    expect(second.body).toMatch(/^### ✅ Done/m);
    expect(w.botComments(n).filter((c) => /Working on it/.test(c.body))).toEqual([]);
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${n}`, "notes.txt")).toBe("slowone\nqueued\n");
    expect(w.gh.state.pulls.filter((p) => p.head === `claude/issue-${n}`)).toHaveLength(1);
  }, 120_000);

  it("a run recorded but not yet acknowledged when the bot is killed is acknowledged once, after the permission check, by the next process", async () => {
    // A first comment has intake read the repository's config (after its sender check), so the
    // held permission check below is the acknowledger's, after the 2xx.
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Warm", body: "x", user: "alice" }, comment: { body: "just a comment", user: "alice" } }));
    const since = w.gh.requests.length;
    const gate = w.gh.hold("GET", /\/collaborators\/alice\/permission$/);
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Cut short", body: "x", user: "alice" }, comment: { body: `${w.trigger} add a note: recorded`, user: "alice" } });
    const n = ev.payload.issue.number;
    expect((await sendWebhook(w.bot.webhookUrl, { ...ev, secret: w.bot.secret })).status).toBe(200);
    await waitFor("the permission check to reach GitHub", () => w.gh.requests.slice(since).some((r) => r.path === "/repos/acme/widgets/collaborators/alice/permission"));
    await w.bot.kill("SIGKILL");
    gate.release();
    w.bot = await startBot({ env: botEnv(w.gh, w.model.url, { RUN_LEASE_SECONDS: "2" }), dataDir: w.bot.dataDir });

    const report = await w.waitForReport(n, 1, 60_000);
    expect(report.body).toMatch(/^### ✅ Done/m);
    expect(w.bot.logs.join("\n")).toContain("acknowledging a run whose process died before it could");
    // The new process checked the permission again before anything else.
    const permissionChecks = w.gh.requests.slice(since).filter((r) => r.path === "/repos/acme/widgets/collaborators/alice/permission");
    expect(permissionChecks).toHaveLength(2);
    expect(w.gh.state.reactions.filter((r) => r.commentId === ev.comment.id)).toHaveLength(1);
    expect(w.botComments(n)).toEqual([report]);
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${n}`, "notes.txt")).toBe("recorded\n");
  }, 120_000);
});

describe("graceful shutdown", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script, env: { RUN_LEASE_SECONDS: "60", SHUTDOWN_GRACE_SECONDS: "1" } });
  }, 60_000);
  afterAll(async () => {
    hold = false;
    await w?.close();
  });

  it("on SIGTERM stops taking runs, hands an unfinished one back, and the next process finishes it", async () => {
    hold = true;
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Shutdown", body: "x", user: "alice" }, comment: { body: `${w.trigger} add a note: slowshut`, user: "alice" } });
    const n = ev.payload.issue.number;
    await w.send(ev);
    await waitFor("Claude to be working", () => w.model.agentRequests().some((r) => JSON.stringify(r.body.messages).includes("slowshut")), 30_000);
    await w.bot.kill("SIGTERM");
    expect(w.bot.process.exitCode).toBe(0);
    expect(w.bot.logs.join("\n")).toContain("handing the run back to the queue");
    // Handed back, not canceled or failed: the comment still says it is working.
    expect(w.botComments(n)[0]!.body).not.toMatch(/^### (✅|⚪|❌|⏹️)/m);
    hold = false;
    w.bot = await startBot({ env: botEnv(w.gh, w.model.url), dataDir: w.bot.dataDir });
    const report = await w.waitForReport(n, 1, 60_000);
    expect(report.body).toMatch(/^### ✅ Done/m);
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${n}`, "notes.txt")).toBe("slowshut\n");
  }, 120_000);
});
