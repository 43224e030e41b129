import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest } from "../support/fake-anthropic/types.ts";
import { waitFor } from "../support/wait-for.ts";
import { planReply, say, tool, type Plan } from "./script-helpers.ts";
import { reportJson, startWorld, type World } from "./harness.ts";

/**
 * WARM_CLAUDE=on (issue 19): a follow-up in a thread is written to the Claude process the thread's
 * last run left running in the paused sandbox, no new CLI; the same work as the --resume path;
 * and when that process is gone, the follow-up falls back to --resume ("live"). Which process
 * served a run is told by the real CLI itself: its Bash tool's shell prints its parent, the CLI.
 */

const pidStep = (file: string, line: string, commit: string) => () => [
  tool("Bash", { command: `echo "cli-pid $PPID" && printf '${line}\\n' >> ${file} && git add -A && git commit -qm '${commit}'`, description: "Write and commit" }),
];

const FIRST: Plan = [pidStep("GREETING.md", "hello", "Add a greeting"), () => [say("Added GREETING.md.")]];
const SECOND: Plan = [pidStep("GREETING.md", "and welcome", "Welcome too"), () => [say("Added a welcome.")]];
const THIRD: Plan = [pidStep("GREETING.md", "goodbye", "Say goodbye"), () => [say("Added a goodbye.")]];

function script(req: AgentRequest) {
  const prompt = req.lastUserText;
  if (prompt.includes("say goodbye")) return planReply(THIRD, req);
  if (prompt.includes("welcome them")) return planReply(SECOND, req);
  return planReply(FIRST, req);
}

/** The CLI pid each run's Bash step printed, in order. */
function cliPids(w: World): number[] {
  const pids: number[] = [];
  for (const r of w.model.agentRequests()) {
    const last = (r.body?.messages as Array<{ role: string; content: unknown }> | undefined)?.at(-1);
    const match = JSON.stringify(last?.content ?? "").match(/cli-pid (\d+)/);
    if (match && !pids.includes(Number(match[1]))) pids.push(Number(match[1]));
  }
  return pids;
}

async function thread(w: World, warm: boolean): Promise<{ issue: number; reports: string[]; pids: number[]; files: string | null }> {
  const first = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Greet people", body: "Say hi.", user: "alice" }, comment: { body: `${w.trigger} add a greeting`, user: "alice" } });
  const issue = first.payload.issue.number;
  expect((await w.send(first)).status).toBe(200);
  const one = await w.waitForReport(issue, 1);
  const next = w.hooks.issueCommentCreated({ repo: w.repo, issue, comment: { body: `${w.trigger} welcome them too`, user: "alice" } });
  expect((await w.send(next)).status).toBe(200);
  const two = await w.waitForReport(issue, 2);
  if (warm) await waitFor("the kept process to be logged", () => w.bot.logRecords().some((r) => r.warm === true) || null, 5_000, 50);
  const files = await w.gh.git.readFile(w.repo.fullName, `claude/issue-${issue}`, "GREETING.md");
  return { issue, reports: [one.body, two.body], pids: cliPids(w), files };
}

describe("warm Claude: a thread's follow-up goes to the Claude process its last run left running", () => {
  let warm: World;
  let cold: World;
  beforeAll(async () => {
    [warm, cold] = await Promise.all([startWorld({ script, env: { WARM_CLAUDE: "on" } }), startWorld({ script, env: { WARM_CLAUDE: "off" } })]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([warm?.close(), cold?.close()]);
  });

  it("serves the follow-up from the same process, with the same work and session as the --resume path", async () => {
    const [w, c] = await Promise.all([thread(warm, true), thread(cold, false)]);
    // One CLI for both runs with WARM_CLAUDE=on; a new one per run without it.
    expect(w.pids).toHaveLength(1);
    expect(c.pids).toHaveLength(2);
    expect(w.reports[1]).toContain("(resumed warm in the live sandbox)");
    expect(c.reports[1]).toContain("(resumed in the live sandbox)");
    expect(reportJson(w.reports[1]!).session_id).toBe(reportJson(w.reports[0]!).session_id);
    for (const r of [...w.reports, ...c.reports]) expect(r).toMatch(/^### ✅ Done/m);
    // The same branch contents and commits either way.
    expect(w.files).toBe("hello\nand welcome\n");
    expect(c.files).toBe(w.files);
    const subjects = async (world: World, issue: number) => (await world.gh.git.log(world.repo.fullName, `claude/issue-${issue}`)).map((x) => x.subject);
    expect(await subjects(warm, w.issue)).toEqual(await subjects(cold, c.issue));
    // The CLI's own figure is the session's total either way (a --resume counts the resumed
    // session's cost too); the report's headline cost is the gateway's, per run.
    const cost = (body: string) => Number(reportJson(body).total_cost_usd);
    expect(cost(w.reports[1]!)).toBeCloseTo(cost(c.reports[1]!), 6);
    expect(cost(w.reports[1]!)).toBeGreaterThan(cost(w.reports[0]!));
    const headline = (body: string) => /\*\*Cost:\*\* .*?\(Claude (\$[\d.]+), metered/.exec(body)?.[1];
    expect(headline(w.reports[1]!)).toMatch(/^\$\d/);
    expect(headline(w.reports[1]!)).toBe(headline(c.reports[1]!));
    expect(warm.gh.unexpected).toEqual([]);
  });

  it("falls back to --resume in the live sandbox when the kept process is gone", async () => {
    const issue = warm.gh.state.comments.find((x) => x.body.includes("welcome them too"))!.issueNumber;
    const [pid] = cliPids(warm);
    process.kill(pid!, "SIGKILL");
    await waitFor("the CLI to be gone", () => { try { process.kill(pid!, 0); return null; } catch { return true; } }, 5_000, 50);
    const ev = warm.hooks.issueCommentCreated({ repo: warm.repo, issue, comment: { body: `${warm.trigger} now say goodbye`, user: "alice" } });
    expect((await warm.send(ev)).status).toBe(200);
    const report = await warm.waitForReport(issue, 3);
    expect(report.body).toMatch(/^### ✅ Done/m);
    expect(report.body).toContain("(resumed in the live sandbox)");
    expect(cliPids(warm)).toHaveLength(2);
    expect(await warm.gh.git.readFile(warm.repo.fullName, `claude/issue-${issue}`, "GREETING.md")).toBe("hello\nand welcome\ngoodbye\n");
  });
});
