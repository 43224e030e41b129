import { marked } from "marked";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest } from "../support/fake-anthropic/types.ts";
import { cwdOf, planReply, say, tool, type Plan } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";
import { liveMentions } from "../support/live-mentions.ts";

/**
 * A prompt-injected agent tries to page people through the bot: @mentions and markdown in its
 * final text, its todo list, its commands and the names of the files it writes. What the bot
 * posts (the PR body, every version of the progress comment, the report) keeps all of them inert:
 * no mention GitHub would link (and notify), no code span left, no paragraph started.
 */

const HOSTILE_FILE = "notes/x` @acme/ops `.md";

const PLAN: Plan = [
  () => [tool("TodoWrite", { todos: [{ content: "ping @acme/everyone\n\n# and a heading", status: "in_progress", activeForm: "pinging" }] })],
  (req) => [tool("Write", { file_path: `${cwdOf(req)}/${HOSTILE_FILE}`, content: "hi\n" })],
  // Shown in the progress comment as the step under way; the CLI may or may not run it.
  () => [tool("Bash", { command: "echo '` @acme/security `'", description: "Say something" })],
  () => [tool("Bash", { command: "git add -A && git commit -qm 'Add notes'", description: "Commit" })],
  () => [say("Done. cc @acme/everyone and @mallory — see `@in-code` (that one is code).")],
];

const script = (req: AgentRequest) => planReply(PLAN, req);

describe("an agent's @mentions never reach people through the bot", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("keeps them inert in the PR body, in every progress edit and in the report", async () => {
    const hook = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Notes", body: "Write notes.", user: "alice" }, comment: { body: `${w.trigger} write the notes`, user: "alice" } });
    const issue = hook.payload.issue.number;
    expect((await w.send(hook)).status).toBe(200);
    const report = await w.waitForReport(issue, 1);
    expect(report.body).toMatch(/^### ✅ Done/m);

    const pull = w.gh.state.pulls.find((p) => p.repo === w.repo.fullName);
    if (!pull) throw new Error("no PR was opened");
    const posted = [pull.body ?? "", ...report.history, report.body];
    // The agent's words did reach them (so this checks something) …
    expect(pull.body).toContain("acme/everyone");
    expect(report.history.some((b) => b.includes("acme/everyone"))).toBe(true);
    expect(report.body).toContain("ops");
    // … and nothing in them is a live mention, nor did a todo start a heading.
    for (const body of posted) {
      expect(liveMentions(body), body).toEqual([]);
      expect(body).not.toMatch(/^#+ and a heading/m);
    }
    // The file list names the hostile file inside one code span.
    const html = marked.parse(report.body, { async: false });
    expect(html).toContain("<code>notes/x` @acme/ops `.md</code>");
  });
});
