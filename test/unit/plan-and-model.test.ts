import { describe, expect, it } from "vitest";
import { buildClaudeArgs } from "../../src/agent/claude-args.ts";
import { DEFAULT_REPO_CONFIG, parseRepoConfig, type RepoConfig } from "../../src/config/repo-config.ts";
import { planChecklist, planComment, planOf } from "../../src/runs/plan-text.ts";
import { renderReport, type RunSummary } from "../../src/runs/report/render-report.ts";
import { decideDelivery } from "../../src/triggers/decide.ts";
import { allowedModels, checkModel, runModel } from "../../src/triggers/model-choice.ts";
import { requestOptions } from "../../src/triggers/request-text.ts";
import type { WebhookTrigger } from "../../src/triggers/types.ts";
import { sampleTrigger } from "../support/sample-trigger.ts";

/** Plan first and the model per request (issue 18, items 2 and 3): the pure parts. */

const configOf = (raw: Record<string, unknown>): RepoConfig => {
  const parsed = parseRepoConfig(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.config;
};
const webhook = (over: Partial<WebhookTrigger>) => sampleTrigger(over) as WebhookTrigger;
const onPull = (over: Partial<WebhookTrigger>) => webhook({ thread: { ...sampleTrigger().thread, isPullRequest: true }, ...over });
const decide = (trigger: WebhookTrigger, config: RepoConfig = DEFAULT_REPO_CONFIG, action = "created") => decideDelivery({ action, trigger, config, triggerPhrase: "@bot", appLogin: "bot[bot]" });

describe("requestOptions", () => {
  it.each<[string, string, ReturnType<typeof requestOptions>]>([
    ["no option", "fix the typo", { rest: "fix the typo" }],
    ["/model", "/model opus fix the typo", { model: "opus", rest: "fix the typo" }],
    ["--model", "--model claude-sonnet-4-5 fix it", { model: "claude-sonnet-4-5", rest: "fix it" }],
    ["--model=", "--model=sonnet[1m] fix it", { model: "sonnet[1m]", rest: "fix it" }],
    ["the option alone", "/model opus", { model: "opus", rest: "" }],
    ["the option in the middle is text", "fix it with /model opus", { rest: "fix it with /model opus" }],
    ["/model without a name is text", "/model", { rest: "/model" }],
    ["plan", "plan: add a cache", { verb: "plan", rest: "add a cache" }],
    ["plan, then the model", "plan --model opus add a cache", { verb: "plan", model: "opus", rest: "add a cache" }],
    ["the model, then plan", "/model opus plan add a cache", { verb: "plan", model: "opus", rest: "add a cache" }],
    ["go", "go", { verb: "approve", rest: "" }],
    ["go!", "Go!", { verb: "approve", rest: "" }],
    ["go ahead", "go ahead", { verb: "approve", rest: "" }],
    ["go with remarks", "go, but keep the old API", { verb: "approve", rest: "but keep the old API" }],
    ["approve with remarks", "approve use tabs", { verb: "approve", rest: "use tabs" }],
    ["a task starting with go", "go through the tests and fix them", { rest: "go through the tests and fix them" }],
    ["a task starting with planet", "planet names are wrong", { rest: "planet names are wrong" }],
  ])("%s", (_name, request, expected) => {
    expect(requestOptions(request)).toEqual(expected);
  });
});

describe("decideDelivery: plan first and the model", () => {
  it.each<[string, WebhookTrigger, RepoConfig, object]>([
    ["@bot plan <task>", webhook({ text: "@bot plan add a cache" }), DEFAULT_REPO_CONFIG, { intent: { type: "run", mode: "plan" }, request: "add a cache" }],
    ["@bot plan on a PR", onPull({ text: "@bot plan the refactor" }), DEFAULT_REPO_CONFIG, { intent: { type: "run", mode: "plan" }, request: "the refactor" }],
    ["@bot go", webhook({ text: "@bot go" }), DEFAULT_REPO_CONFIG, { intent: { type: "run", mode: "code" }, request: "Go ahead.", approvesPlan: true }],
    ["@bot approve with remarks", webhook({ text: "@bot approve, but no new dependency" }), DEFAULT_REPO_CONFIG, { intent: { type: "run", mode: "code" }, request: "but no new dependency", approvesPlan: true }],
    ["/model: the option leaves the request", webhook({ text: "@bot /model opus fix the typo" }), DEFAULT_REPO_CONFIG, { intent: { type: "run", mode: "code" }, request: "fix the typo", model: "opus" }],
    ["--model with review on a PR", onPull({ text: "@bot --model opus review: the tests" }), DEFAULT_REPO_CONFIG, { intent: { type: "run", mode: "review" }, request: "the tests", model: "opus" }],
    ["planFirst: a mention in an issue plans", webhook({ text: "@bot fix the typo" }), configOf({ planFirst: true }), { intent: { type: "run", mode: "plan" }, request: "fix the typo" }],
    ["planFirst: a new issue plans", webhook({ kind: "issue_opened", source: { type: "issue" }, text: "Crash\n\n@bot please fix" }), configOf({ planFirst: true }), { intent: { type: "run", mode: "plan" } }],
    ["planFirst: go still carries out", webhook({ text: "@bot go" }), configOf({ planFirst: true }), { intent: { type: "run", mode: "code" }, approvesPlan: true }],
    ["planFirst: a PR thread does not plan", onPull({ text: "@bot fix the typo" }), configOf({ planFirst: true }), { intent: { type: "run", mode: "code" } }],
    ["planFirst: a review is a review", onPull({ text: "@bot review" }), configOf({ planFirst: true }), { intent: { type: "run", mode: "review" } }],
  ])("%s", (_name, trigger, config, expected) => {
    const action = trigger.kind === "issue_opened" ? "opened" : "created";
    expect(decide(trigger, config, action)).toMatchObject(expected);
  });

  it("keeps the old decisions without options", () => {
    expect(decide(webhook({ text: "@bot fix the typo" }))).toEqual({ intent: { type: "run", mode: "code" }, request: "fix the typo" });
    expect(decide(webhook({ text: "@bot stop" }))).toEqual({ intent: { type: "command", command: "stop" } });
  });
});

describe("model choice", () => {
  const models = configOf({ model: "sonnet", models: { allowed: ["opus", "claude-haiku-4-5"] } });
  it.each<[string, RepoConfig, string | undefined, string, string | null]>([
    ["the default only, by default: the deployment's", DEFAULT_REPO_CONFIG, "sonnet", "sonnet", "sonnet"],
    ["nothing but the default: another name is refused", DEFAULT_REPO_CONFIG, "sonnet", "opus", null],
    ["no default at all: every name is refused", DEFAULT_REPO_CONFIG, undefined, "opus", null],
    ["an allowed one, in the config's spelling", models, undefined, "OPUS", "opus"],
    ["the repo's model is the default, so allowed", models, "haiku", "sonnet", "sonnet"],
    ["the deployment's default is not when the repo has its own", models, "haiku", "haiku", null],
  ])("%s", (_name, config, deployment, requested, expected) => {
    const check = checkModel(requested, config, deployment);
    expect(check.ok ? check.model : null).toBe(expected);
  });

  it("lists the default first; models.default wins over model", () => {
    expect(allowedModels(models, "x")).toEqual(["sonnet", "opus", "claude-haiku-4-5"]);
    expect(allowedModels(configOf({ model: "sonnet", models: { default: "opus" } }), "x")).toEqual(["opus"]);
  });

  it("a run takes the request's model, else the thread's while allowed, else the default", () => {
    expect(runModel("opus", "claude-haiku-4-5", models, undefined)).toBe("opus");
    expect(runModel(undefined, "claude-haiku-4-5", models, undefined)).toBe("claude-haiku-4-5");
    expect(runModel(undefined, "retired-model", models, undefined)).toBe("sonnet");
    expect(runModel(undefined, null, DEFAULT_REPO_CONFIG, "sonnet")).toBe("sonnet");
    expect(runModel(undefined, null, DEFAULT_REPO_CONFIG, undefined)).toBeUndefined();
  });
});

describe("the CLI's arguments", () => {
  it("names the model, and plan mode replaces skipping the permission checks", () => {
    const code = buildClaudeArgs({ command: "claude", model: "opus" });
    expect(code).toEqual(expect.arrayContaining(["--dangerously-skip-permissions", "--model", "opus"]));
    expect(code).not.toContain("--permission-mode");
    const plan = buildClaudeArgs({ command: "claude", permissionMode: "plan" });
    expect(plan.join(" ")).toContain("--permission-mode plan");
    expect(plan).not.toContain("--dangerously-skip-permissions");
  });
});

describe("the plan", () => {
  const result = (over: Record<string, unknown>) => ({ type: "result", subtype: "success", is_error: false, duration_ms: 1, num_turns: 1, session_id: "s", total_cost_usd: 0, usage: {}, ...over }) as never;
  it("is the plan file this run wrote, else the final text", () => {
    expect(planOf("1. a\n2. b\n", result({ result: "final" }))).toBe("1. a\n2. b");
    expect(planOf(null, result({ result: " 1. only text " }))).toBe("1. only text");
    expect(planOf("  ", result({ result: "text" }))).toBe("text");
    expect(planOf(null, null)).toBe("");
  });

  it("becomes a checklist: list items outside code fences, indentation kept", () => {
    const plan = "Summary line.\n\n1. Add the cache\n2) Test it\n   - edge case\n- [x] done already\n```\n1. not a step\n```";
    expect(planChecklist(plan)).toEqual({
      text: "Summary line.\n\n- [ ] Add the cache\n- [ ] Test it\n   - [ ] edge case\n- [ ] done already\n```\n1. not a step\n```",
      steps: 4,
    });
    expect(planChecklist("Just do it.\nCarefully.")).toEqual({ text: "- [ ] Just do it.\n  Carefully.", steps: 1 });
  });

  it("posts the plan with Claude's @mentions inert, and its own way to go on live", () => {
    const comment = planComment("- [ ] ask @acme/everyone\n```\n@Decorator()\n```", "@bot", 3);
    expect(comment).toContain("- [ ] ask @\u200bacme/everyone");
    expect(comment).toContain("@Decorator()");
    expect(comment).toContain("Reply `@bot go`");
  });

  it("the plan run's report says how to go on and names the model", () => {
    const summary: RunSummary = {
      outcome: "done",
      files: [],
      plan: { htmlUrl: "https://github.com/a/b/issues/1#issuecomment-5", steps: 3, approveWith: "@bot go" },
      model: "opus",
      runId: 7,
      branch: "claude/issue-1",
      branchUrl: "",
      durationMs: 1000,
      phaseMs: {},
      sandboxCostUsd: 0,
      result: result({ result: "1. a\n2. b\n3. c" }),
      session: "new",
    };
    const report = renderReport(summary);
    expect(report).toContain("### ✅ Plan ready — reply `@bot go` to carry it out");
    expect(report).toContain("[The plan](https://github.com/a/b/issues/1#issuecomment-5) has 3 steps; nothing was written or pushed.");
    expect(report).toContain("**Model:** `opus`");
  });
});
