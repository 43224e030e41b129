import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import { waitFor } from "../support/wait-for.ts";
import { planReply, say, tool, type Plan } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * Steering a running run (issue 18, item 1), with the real CLI against the scripted model: a
 * mention arriving while the model holds a turn open goes into the running session and is in the
 * next model request (same session, no run of its own), with 👀 on it and the report listing it;
 * one arriving before the agent phase (the setup commands are still running) is queued as a run of
 * its own, as before.
 */

// The setup command gives the second test a phase before the agent's; no snapshot is kept of it.
const CONFIG = "setup:\n  - sleep 2\nsnapshots:\n  enabled: false\n";
const STEER_TEXT = "also mention the cache in the notes";

const hold: { release?: () => void; held?: boolean } = {};
const NOTES: Plan = [
  () => [tool("Bash", { command: "printf 'notes\\n' > NOTES.md", description: "Write the notes" })],
  () => [tool("Bash", { command: "git add -A && git commit -qm 'Add notes'", description: "Commit" })],
  () => [say("Added NOTES.md.")],
];

async function script(req: AgentRequest): Promise<Reply> {
  const prompt = req.lastUserText;
  if (prompt.includes("steered notes") && req.toolResults.length > 0 && !hold.held) {
    // The turn after the first tool call stays open until the test lets it go.
    hold.held = true;
    await new Promise<void>((resolve) => (hold.release = resolve));
  }
  return planReply(NOTES, req);
}

const systemText = (req: AgentRequest) => JSON.stringify(req.messages.filter((m: { role: string }) => m.role === "system"));

describe("steering a running run", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script, files: { ".github/claude-sandbox-bot.yml": CONFIG } });
  }, 60_000);
  afterAll(async () => {
    hold.release?.();
    await w?.close();
  });

  const mention = async (issue: number | { title: string; body: string; user: string }, body: string) => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue, comment: { body: `${w.trigger} ${body}`, user: "alice" } });
    expect((await w.send(ev)).status).toBe(200);
    return { issue: ev.payload.issue.number, commentId: ev.payload.comment.id };
  };

  it("a mention while the model holds a turn goes into the running session's next request; 👀, no run of its own, listed in the report", async () => {
    const before = w.model.agentRequests().length;
    const first = await mention({ title: "Notes", body: "We need notes.", user: "alice" }, "write the steered notes");
    await waitFor("the model to hold a turn", () => hold.release, 60_000, 50);
    const steer = await mention(first.issue, STEER_TEXT);
    expect(w.gh.state.reactions.filter((r) => r.commentId === steer.commentId).map((r) => r.content)).toEqual(["eyes"]);
    // The run polls its inbox every second; the CLI reads the line and queues it for the next request.
    await new Promise((r) => setTimeout(r, 2_500));
    hold.release?.();
    const report = await w.waitForReport(first.issue);
    expect(report.body).toMatch(/^### ✅ Done/m);
    expect(report.body).toContain("📨 Taken in while working: @alice");
    // While it worked, the progress comment said so (each edit keeps the body it replaced).
    expect([...report.history, report.body].some((body) => body.includes("📨 received while working: @alice"))).toBe(true);

    const requests = w.model.agentRequests().slice(before).map((r) => ({ body: r.body, session: r.headers["x-claude-code-session-id"] }));
    const carrying = requests.findIndex((r) => systemText({ messages: r.body.messages } as AgentRequest).includes(STEER_TEXT));
    expect(carrying).toBeGreaterThan(0);
    expect(systemText({ messages: requests[carrying]!.body.messages } as AgentRequest)).toContain("The user sent a new message while you were working");
    expect(systemText({ messages: requests[carrying]!.body.messages } as AgentRequest)).toContain("<steering_message>");
    // One session throughout, and the message was no run of its own: one bot comment on the issue, one report.
    expect(new Set(requests.map((r) => r.session)).size).toBe(1);
    expect(w.botComments(first.issue)).toHaveLength(1);
  }, 120_000);

  it("a mention before the agent phase is queued as a run of its own", async () => {
    const first = await mention({ title: "Early", body: "Early notes.", user: "alice" }, "write the early notes");
    await waitFor("the setup phase", () => w.botComments(first.issue)[0]?.body.includes("running the repository's setup commands"), 30_000, 50);
    await mention(first.issue, "and a second line");
    const report = await w.waitForReport(first.issue);
    expect(report.body).not.toContain("📨");
    const second = await w.waitForReport(first.issue, 2);
    expect(second.body).toMatch(/^### (✅|⚪)/m);
    expect(w.botComments(first.issue)).toHaveLength(2);
  }, 120_000);
});
