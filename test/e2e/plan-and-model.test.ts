import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest } from "../support/fake-anthropic/types.ts";
import { waitFor } from "../support/wait-for.ts";
import { cwdOf, planReply, say, tool, type Plan } from "./script-helpers.ts";
import { reportJson, startWorld, type World } from "./harness.ts";

/**
 * Plan first and the model per request (issue 18, items 2 and 3), with the real CLI against the
 * scripted model: `/model` picks the model (the CLI's requests name it) and follow-ups keep it; a
 * name the repository does not allow is answered, not run; `plan` runs the CLI in plan mode, posts
 * the plan as a checklist and pushes nothing; `go` carries it out in the same session.
 */

// A name the CLI passes through as it is (it maps some older names to newer ones).
const CONFIG = "models:\n  allowed: [claude-opus-5-5]\n";
const PLAN_TEXT = "Add a small cache.\n\n1. Create cache.js with a Map-based cache\n2. Export it from src/index.js";

const NOTES: Plan = [() => [tool("Bash", { command: "printf 'notes\\n' > NOTES.md", description: "Write the notes" })], () => [say("Added NOTES.md.")]];
const MORE_NOTES: Plan = [() => [tool("Bash", { command: "printf 'more\\n' >> NOTES.md", description: "More notes" })], () => [say("Added a line to NOTES.md.")]];
// Plan mode in print mode: the CLI names a plan file (the one file Claude may write) and has no ExitPlanMode.
const planFileOf = (req: AgentRequest) => /create your plan at (\S+\.md)/.exec(JSON.stringify(req.body.messages))?.[1] ?? "no plan file named";
// It also tries to write into the checkout, which plan mode refuses (else the go run would commit it).
const PLANNING: Plan = [
  (req) => [tool("Write", { file_path: `${cwdOf(req)}/EARLY.md`, content: "written while planning\n" }), tool("Bash", { command: "echo early > EARLY.txt", description: "Write while planning" })],
  (req) => [say("Here is my plan."), tool("Write", { file_path: planFileOf(req), content: PLAN_TEXT })],
  () => [say("The plan is in the plan file; waiting for approval.")],
];
const CARRY_OUT: Plan = [
  () => [tool("Bash", { command: "printf 'export const cache = new Map();\\n' > cache.js && git add -A && git commit -qm 'Add the cache'", description: "Carry out the plan" })],
  () => [say("Carried out the plan: cache.js is there.")],
];
const OTHER: Plan = [() => [say("Nothing to change.")]];

function script(req: AgentRequest) {
  const prompt = req.lastUserText;
  if (prompt.includes("approved the plan")) return planReply(CARRY_OUT, req);
  if (prompt.includes("Plan first")) return planReply(PLANNING, req);
  if (prompt.includes("another line")) return planReply(MORE_NOTES, req);
  if (prompt.includes("NOTES file")) return planReply(NOTES, req);
  return planReply(OTHER, req);
}

describe("model per request and plan first", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script, env: { CLAUDE_MODEL: "claude-sonnet-4-5" }, files: { ".github/claude-sandbox-bot.yml": CONFIG } });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  const models = (from: number) => w.model.agentRequests().slice(from).map((r) => r.body.model as string);
  const mention = async (issue: number | { title: string; body: string; user: string }, body: string) => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue, comment: { body: `${w.trigger} ${body}`, user: "alice" } });
    expect((await w.send(ev)).status).toBe(200);
    return ev.payload.issue.number;
  };

  it("/model picks an allowed model for the run, the report names it, and a follow-up keeps it", async () => {
    const before = w.model.agentRequests().length;
    const issue = await mention({ title: "Notes", body: "We need notes.", user: "alice" }, "/model claude-opus-5-5 add a NOTES file");
    const report = await w.waitForReport(issue);
    expect(report.body).toMatch(/^### ✅ Done — opened #\d+$/m);
    expect(report.body).toContain("**Model:** `claude-opus-5-5`");
    const first = models(before);
    expect(first.length).toBeGreaterThan(0);
    expect(new Set(first)).toEqual(new Set(["claude-opus-5-5"]));
    // The option is not part of the request Claude got.
    const prompt = JSON.stringify(w.model.agentRequests()[before]!.body.messages);
    expect(prompt).toContain("<request_from_alice>\\nadd a NOTES file\\n</request_from_alice>");

    const again = w.model.agentRequests().length;
    await mention(issue, "add another line to the notes");
    const followUp = await w.waitForReport(issue, 2);
    expect(followUp.body).toContain("**Model:** `claude-opus-5-5`");
    expect(new Set(models(again))).toEqual(new Set(["claude-opus-5-5"]));
  });

  it("a model the repository does not allow gets a reply listing the allowed ones, and no run", async () => {
    const before = w.model.agentRequests().length;
    const issue = await mention({ title: "Other", body: "x", user: "alice" }, "/model gpt-5 fix everything");
    const replies = w.botComments(issue);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toContain("`gpt-5`");
    expect(replies[0]!.body).toContain("`claude-sonnet-4-5`, `claude-opus-5-5`");
    expect(replies[0]!.body).not.toMatch(/Working on it/);
    await new Promise((r) => setTimeout(r, 500));
    expect(w.model.agentRequests().length).toBe(before);
    expect(w.bot.logRecords().some((r) => r.intake === "refused" && r.reason === "model")).toBe(true);
  });

  it("plan → the plan as a checklist, nothing pushed → go → carried out in the same session", async () => {
    const before = w.model.agentRequests().length;
    const issue = await mention({ title: "Add a cache", body: "Lookups are slow.", user: "alice" }, "plan add a cache");
    const report = await waitFor("the plan run's report", () => w.botComments(issue).find((c) => /^### ✅ Plan ready/m.test(c.body)), 90_000, 100);
    expect(report.body).toContain(`reply \`${w.trigger} go\` to carry it out`);
    expect(report.body).toMatch(/\[The plan\]\(.*#issuecomment-\d+\) has 2 steps; nothing was written or pushed\./);
    const planComment = w.botComments(issue).find((c) => c.body.startsWith("### 📝 Plan"));
    expect(planComment?.body).toContain("- [ ] Create cache.js with a Map-based cache\n- [ ] Export it from src/index.js");
    expect(await w.gh.git.branches(w.repo.fullName)).not.toContain(`claude/issue-${issue}`);
    expect(w.gh.state.pulls.filter((p) => p.title === "Add a cache")).toHaveLength(0);
    // The CLI ran in plan mode (it says so to the model), and the plan came from its plan file.
    const planning = JSON.stringify(w.model.agentRequests()[before]!.body.messages);
    expect(planning).toContain("Plan mode is active");
    expect(planning).toContain("Plan first");
    const planSession = String(reportJson(report.body).session_id);

    const goFrom = w.model.agentRequests().length;
    await mention(issue, "go");
    const done = await w.waitForReport(issue, 3);
    expect(done.body).toMatch(/^### ✅ Done — opened #\d+$/m);
    expect(String(reportJson(done.body).session_id)).toBe(planSession);
    const carried = JSON.stringify(w.model.agentRequests()[goFrom]!.body.messages);
    expect(carried).toContain("Create cache.js with a Map-based cache");
    expect(carried).toContain("approved the plan");
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${issue}`, "cache.js")).toBe("export const cache = new Map();\n");
    // Nothing the planning turn tried to write reached the branch.
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${issue}`, "EARLY.md")).toBeNull();
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${issue}`, "EARLY.txt")).toBeNull();
    // Carried out, the plan is no longer pending.
    await mention(issue, "go");
    expect(w.botComments(issue).at(-1)!.body).toContain("no plan waiting for approval");
  });

  it("a new task replaces the plan: a go after it has nothing to approve", async () => {
    const issue = await mention({ title: "Plan then change", body: "x", user: "alice" }, "plan add a cache");
    await waitFor("the plan", () => w.botComments(issue).find((c) => /^### ✅ Plan ready/m.test(c.body)), 90_000, 100);
    await mention(issue, "just check the README instead");
    await waitFor("the second report", () => w.botComments(issue).filter((c) => /^### (✅|⚪)/m.test(c.body)).length >= 2 ? true : null, 90_000, 100);
    await mention(issue, "go");
    expect(w.botComments(issue).at(-1)!.body).toContain("no plan waiting for approval");
    expect(w.gh.unexpected).toEqual([]);
  });
});
