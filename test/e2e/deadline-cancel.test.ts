import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import { waitFor } from "../support/wait-for.ts";
import { planReply, say, tool, type Plan } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * A run ends whatever the processes the agent left behind do, and a stop wins over a push.
 * Both agents reach into the bot's own commit script through core.fsmonitor (git runs it on
 * `git add`, hooksPath or not): one leaves a `setsid` process holding the script's stderr, the
 * other makes the script slow so that `@bot stop` arrives while the run is publishing.
 */

const LEAVE_HOLDER: Plan = [
  () => [tool("Bash", { command: "echo held > held.txt && git config core.fsmonitor '(setsid sleep 600 >/dev/null &); exit 1'", description: "leave a holder" })],
  () => [say("Left it.")],
];
const SLOW_COMMIT: Plan = [
  () => [tool("Bash", { command: "echo slow > slow.txt", description: "slow the commit" })],
  () => [say("Slowed it.")],
];

function script(req: AgentRequest): Reply {
  if (req.lastUserText.includes("leave a holder")) return planReply(LEAVE_HOLDER, req);
  if (req.lastUserText.includes("slow the commit")) return planReply(SLOW_COMMIT, req);
  return { content: [say("Nothing to do.")] };
}

describe("deadlines and stops hold against what the agent leaves running", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script, env: { SANDBOX_TIMEOUT_SECONDS: "40" } });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("a process left holding the commit script's stderr does not keep the run publishing", async () => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Holder", body: "x", user: "alice" }, comment: { body: `${w.trigger} leave a holder`, user: "alice" } });
    const n = ev.payload.issue.number;
    const started = Date.now();
    await w.send(ev);
    // The old code waited for the pipes to close: 600 s of sleep (the 40 s limit did not apply).
    const report = await w.waitForReport(n, 1, 40_000 + 10_000);
    expect(Date.now() - started).toBeLessThan(40_000 + 10_000);
    expect(report.body).toMatch(/^### ✅/m);
  }, 70_000);

  it("@bot stop while the run is publishing: no push, no pull request, the report says Canceled", async () => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Slow", body: "x", user: "alice" }, comment: { body: `${w.trigger} slow the commit`, user: "alice" } });
    const n = ev.payload.issue.number;
    // GitHub is slow to mint the push's write token (the agent's git config no longer runs in the
    // bot's commit step, so it cannot be what slows publishing): held from the agent's last turn.
    const mint = /^\/app\/installations\/\d+\/access_tokens$/;
    const mintsBefore = () => w.gh.requests.filter((r) => r.method === "POST" && mint.test(r.path)).length;
    let gate: { release(): void } | null = null;
    let held = 0;
    const agentTurns = w.model.agentRequests().length;
    const watcher = setInterval(() => {
      if (!gate && w.model.agentRequests().length >= agentTurns + 2) {
        held = mintsBefore();
        gate = w.gh.hold("POST", mint);
      }
    }, 5);
    try {
      await w.send(ev);
      const publishing = (b: string) => /publishing the result/.test(b);
      await waitFor("the run to be publishing", () => w.botComments(n)[0]?.history.some(publishing) || publishing(w.botComments(n)[0]?.body ?? ""), 40_000, 50);
      await waitFor("the write token to be asked for", () => gate !== null && mintsBefore() > held, 20_000, 20);
      await w.send(w.hooks.issueCommentCreated({ repo: w.repo, issue: n, comment: { body: `${w.trigger} stop`, user: "alice" } }));
    } finally {
      clearInterval(watcher);
      (gate as { release(): void } | null)?.release();
    }
    const report = await w.waitForReport(n, 1, 40_000);
    expect(report.body).toMatch(/^### ⏹️ Canceled$/m);
    expect(await w.gh.git.branches(w.repo.fullName)).not.toContain(`claude/issue-${n}`);
    expect(w.gh.requests.filter((r) => r.method === "POST" && /\/pulls$/.test(r.path) && (r.body as { head?: string }).head === `claude/issue-${n}`).map((r) => `${r.path} ${JSON.stringify(r.body).slice(0, 200)}`)).toEqual([]);
    expect(w.gh.state.pulls.filter((p) => p.repo === w.repo.fullName && p.title === "Slow")).toEqual([]);
  }, 90_000);
});
