import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addActionsCheck } from "../support/ci-fixtures.ts";
import type { AgentRequest } from "../support/fake-anthropic/types.ts";
import { intakeDone, startWorld, type World } from "./harness.ts";
import { planReply, say, tool, type Plan } from "./script-helpers.ts";

/**
 * Failing CI on the bot's pull request is the next turn of the same conversation: the check
 * events (as GitHub sends them) start a follow-up run in the session that wrote the change, with
 * the failed job's log tail; a passing CI, the attempts cap, a person's push, the bot's own check
 * and a redelivery start nothing more; `@bot fix-ci` asks on demand; a fork's PR is never pushed to.
 */

const LEAKED = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
const FAILING_LOG = `2026-01-01T00:00:00.0000000Z ##[group]Run npm test\n${"noise line\n".repeat(3000)}2026-01-01T00:00:01.0000000Z FAIL test/math.test.js\n  AssertionError: expected multiply(2, 3) to equal 6, got 5\n  token=${LEAKED}\n##[error]Process completed with exit code 1.\n`;

const FIRST: Plan = [
  () => [tool("Bash", { command: "printf 'export const multiply = (a, b) => a + b + 0;\\n' > src/math.js", description: "Add multiply" })],
  () => [say("Added multiply in src/math.js.")],
];
const CI_FIX: Plan = [
  () => [tool("Bash", { command: "printf 'export const multiply = (a, b) => a * b;\\n' > src/math.js && echo fixed >> ci-fixes.txt", description: "Fix multiply" })],
  () => [say("Fixed multiply: it added instead of multiplying.")],
];

function script(req: AgentRequest) {
  if (req.lastUserText.includes("FLAKY NETWORK")) return planReply([() => [say("The failure is a network flake in CI, not this branch: nothing to change.")]], req);
  if (req.lastUserText.includes("CI failed on commit")) return planReply(CI_FIX, req);
  return planReply(FIRST, req);
}

describe("CI follow-ups: failing checks on the bot's pull request, fixed in the same session", () => {
  let w: World;
  let issue = 0;
  let pr = 0;
  const branch = () => `claude/issue-${issue}`;
  const head = async () => (await w.gh.git.log(w.repo.fullName, branch()))[0]!.sha;
  const ciRuns = () => w.bot.logRecords().filter((r) => r.msg === "CI follow-up received; acknowledging" && r.auto === true).length;
  const fail = async (sha: string, name = "CI / test") => addActionsCheck(w.gh, { repo: w.repo.fullName, sha, name, conclusion: "failure", log: FAILING_LOG, annotations: [{ path: "src/math.js", line: 1, message: "multiply(2, 3) returned 5" }] });
  const suiteDone = (sha: string, conclusion: "success" | "failure") => w.hooks.checkSuiteCompleted({ repo: w.repo, sha, branch: branch(), conclusion, pulls: [pr] });
  /** Sends a check event and waits for the bot's decision on it (its `intake` log line). */
  async function sendCi(built: { event: string; payload: unknown }, deliveryId = randomUUID()): Promise<Record<string, unknown>> {
    expect((await w.send(built, { deliveryId })).status).toBe(200);
    await intakeDone(w.bot, deliveryId);
    return w.bot.logRecords().find((r) => r.delivery === deliveryId && typeof r.intake === "string")!;
  }

  beforeAll(async () => {
    w = await startWorld({ script, files: { ".github/claude-sandbox-bot.yml": "ciFix:\n  maxAttempts: 1\n" } });
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Add multiply", body: "We need multiply.", user: "alice" }, comment: { body: `${w.trigger} add a multiply helper`, user: "alice" } });
    issue = ev.payload.issue.number;
    await w.send(ev);
    await w.waitForReport(issue);
    pr = w.gh.state.pulls.find((p) => p.head === branch())!.number;
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  it("a failing check on the bot's push starts a follow-up in the same session, which fixes it; the next green CI starts nothing", async () => {
    const failing = await head();
    const check = await fail(failing);
    const requestsBefore = w.model.agentRequests().length;
    // A check_run event alone (its suite still running) is not the end of CI yet.
    addActionsCheck(w.gh, { repo: w.repo.fullName, sha: failing, name: "CI / lint", status: "in_progress" });
    expect(await sendCi(w.hooks.checkRunCompleted({ repo: w.repo, sha: failing, branch: branch(), conclusion: "failure", pulls: [pr], name: "CI / test", id: check.id }))).toMatchObject({ intake: "ignored", reason: "checks are still running on this commit" });
    w.gh.state.checkRuns.find((r) => r.name === "CI / lint" && r.headSha === failing)!.status = "completed";
    w.gh.state.checkRuns.find((r) => r.name === "CI / lint" && r.headSha === failing)!.conclusion = "success";
    // The issue thread that opened the PR continues: its session wrote the change.
    expect(await sendCi(suiteDone(failing, "failure"))).toMatchObject({ intake: "queued", thread: `${w.repo.fullName}#${issue}` });

    const report = await w.waitForReport(pr);
    expect(report.body).toMatch(/^### ✅ Done/m);
    const fixed = await head();
    expect(fixed).not.toBe(failing);
    expect(await w.gh.git.readFile(w.repo.fullName, branch(), "src/math.js")).toContain("a * b");

    // The same session: the model request carries the first run's turns and the failing log's tail, redacted, without timestamps.
    const ciRequest = w.model.agentRequests().slice(requestsBefore).map((r) => JSON.stringify(r.body.messages)).find((m) => m.includes("CI failed on commit"))!;
    expect(ciRequest).toContain("add a multiply helper");
    expect(ciRequest).toContain("Added multiply in src/math.js.");
    expect(ciRequest).toContain("AssertionError: expected multiply(2, 3) to equal 6, got 5");
    expect(ciRequest).toContain("multiply(2, 3) returned 5");
    expect(ciRequest).toContain("CI / test");
    expect(ciRequest).not.toContain(LEAKED);
    expect(ciRequest).not.toContain("2026-01-01T00:00:01");
    // Bounded: the tail, not the 3000 lines of noise.
    expect(ciRequest.split("noise line").length).toBeLessThan(2_400);
    // The log came from the download URL the API redirected to, without a token.
    expect(w.gh.requests.some((r) => r.path === `/repos/${w.repo.fullName}/actions/jobs/${check.id}/logs` && r.status === 302)).toBe(true);
    expect(w.gh.requests.some((r) => r.path === `/_downloads/job-logs/${check.id}` && r.auth === "none" && r.status >= 200 && r.status < 300)).toBe(true);

    addActionsCheck(w.gh, { repo: w.repo.fullName, sha: fixed, name: "CI / test", conclusion: "success" });
    expect(await sendCi(suiteDone(fixed, "success"))).toMatchObject({ intake: "ignored", reason: "no counted check failed" });
    expect(w.gh.unexpected).toEqual([]);
  }, 180_000);

  it("with the attempts used up, a failure gets one comment and no run", async () => {
    const sha = await head();
    await fail(sha);
    const runs = ciRuns();
    const comments = w.botComments(pr).length;
    expect(await sendCi(suiteDone(sha, "failure"))).toMatchObject({ intake: "ignored", reason: "ciFix.maxAttempts (1) reached" });
    await sendCi(w.hooks.workflowRunCompleted({ repo: w.repo, sha, branch: branch(), conclusion: "failure", pulls: [pr] }));
    expect(ciRuns()).toBe(runs);
    const added = w.botComments(pr).slice(comments);
    expect(added).toHaveLength(1);
    expect(added[0]!.body).toMatch(/after 1 automatic attempt .*`@[\w-]+ fix-ci`/s);
  }, 60_000);

  it("a person's push in between: no automatic run; the bot's own check completing: nothing at all", async () => {
    const human = await w.gh.git.commit(w.repo.fullName, { branch: branch(), files: { "notes.txt": "mine\n" }, message: "Human change" });
    await fail(human);
    expect(await sendCi(suiteDone(human, "failure"))).toMatchObject({ intake: "ignored", reason: "the head is not the bot's last push (someone pushed since)" });
    const before = w.gh.requests.length;
    expect(await sendCi(w.hooks.checkRunCompleted({ repo: w.repo, sha: human, branch: branch(), conclusion: "failure", pulls: [pr], name: "claude-sandbox-bot", app: "bot" }))).toMatchObject({ intake: "own" });
    // Decided from the payload alone: not one API call.
    expect(w.gh.requests.slice(before).filter((r) => r.path.startsWith("/repos/"))).toEqual([]);
  }, 60_000);

  it("`@bot fix-ci` starts the same run on demand, past the cap and the person's push; a redelivered failure of its push starts one run", async () => {
    const failing = await head();
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: pr, comment: { body: `${w.trigger} fix-ci`, user: "alice" } });
    const reports = w.botComments(pr).length;
    await w.send(ev);
    expect(w.gh.state.reactions.some((r) => r.commentId === ev.comment.id && r.content === "eyes")).toBe(true);
    const report = await w.waitForReport(pr, reports + 1);
    expect(report.body).toMatch(/^### ✅ Done/m);
    const pushed = await head();
    expect(pushed).not.toBe(failing);
    expect(JSON.stringify(w.model.agentRequests().at(-1)!.body.messages)).toContain("AssertionError");

    // Its push fails too: the person's request reset the count, so one automatic attempt is due — once.
    await fail(pushed);
    const runs = ciRuns();
    const delivery = randomUUID();
    const first = await sendCi(suiteDone(pushed, "failure"), delivery);
    const again = w.hooks.checkSuiteCompleted({ repo: w.repo, sha: pushed, branch: branch(), conclusion: "failure", pulls: [pr] });
    await w.send(again, { deliveryId: delivery });
    await sendCi(w.hooks.checkRunCompleted({ repo: w.repo, sha: pushed, branch: branch(), conclusion: "failure", pulls: [pr], name: "CI / test" }));
    expect(first).toMatchObject({ intake: "queued" });
    await w.waitForReport(pr, reports + 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(ciRuns()).toBe(runs + 1);
    // No attempts-cap comment either: the later events of that CI found its run.
    expect(w.botComments(pr)).toHaveLength(reports + 2);
  }, 240_000);

  it("a follow-up that changes nothing ends the loop, and its report says so", async () => {
    const sha = await head();
    addActionsCheck(w.gh, { repo: w.repo.fullName, sha, name: "CI / e2e", conclusion: "failure", log: "Error: FLAKY NETWORK: ECONNRESET\n" });
    const reports = w.botComments(pr).length;
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: pr, comment: { body: `${w.trigger} fix-ci`, user: "alice" } }));
    const report = await w.waitForReport(pr, reports + 1);
    expect(report.body).toMatch(/^### ⚪/m);
    expect(report.body).toContain("the automatic fixing of this pull request's CI stops here");
    expect(await head()).toBe(sha);
  }, 120_000);

  it("a fork's pull request: its CI is never fixed automatically; `@bot fix-ci` answers with a patch", async () => {
    // Named like one of the bot's branches, to be sure the name alone never makes it the bot's.
    await w.gh.git.commit(w.repo.fullName, { branch: "claude/issue-99", from: "main", files: { "src/math.js": "export const multiply = (a, b) => a - b;\n" }, message: "Fork work" });
    const forkPr = (await w.gh.addPull(w.repo.fullName, { title: "Multiply from a fork", head: "claude/issue-99", user: "mallory", fork: "mallory/widgets" })).number;
    const sha = (await w.gh.git.log(w.repo.fullName, `refs/pull/${forkPr}/head`))[0]!.sha;
    await fail(sha);
    // GitHub lists no pull requests in a fork's check payloads.
    expect(await sendCi(w.hooks.checkSuiteCompleted({ repo: w.repo, sha, branch: "claude/issue-99", conclusion: "failure", pulls: [] }))).toMatchObject({ intake: "ignored" });
    const runs = ciRuns();

    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: forkPr, comment: { body: `${w.trigger} fix-ci`, user: "alice" } }));
    const report = await w.waitForReport(forkPr);
    expect(report.body).toMatch(/^### ✅ Done — a patch for the fork \(nothing pushed\)$/m);
    expect(report.body).toMatch(/```diff\n[\s\S]*a \* b/);
    expect(w.gh.state.pulls.find((p) => p.number === forkPr)!.headRepo).toBe("mallory/widgets");
    expect(ciRuns()).toBe(runs);
    expect(w.gh.unexpected).toEqual([]);
  }, 180_000);

  it("a push from a mention on the PR itself: the PR's own thread (whose session made it) continues", async () => {
    const reports = w.botComments(pr).length;
    await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: pr, comment: { body: `${w.trigger} bring back the first multiply`, user: "alice" } }));
    await w.waitForReport(pr, reports + 1);
    const sha = await head();
    await fail(sha);
    const delivery = randomUUID();
    expect(await sendCi(suiteDone(sha, "failure"), delivery)).toMatchObject({ intake: "queued" });
    const accepted = w.bot.logRecords().find((r) => r.delivery === delivery && r.msg === "CI follow-up received; acknowledging")!;
    expect(accepted.thread).toBe(`${w.repo.fullName}#${pr}`);
    await w.waitForReport(pr, reports + 2);
    expect(JSON.stringify(w.model.agentRequests().at(-1)!.body.messages)).toContain("bring back the first multiply");
  }, 120_000);
});
