import { describe, expect, it } from "vitest";
import { issueBranch } from "../../src/triggers/branch-name.ts";
import { DEFAULT_REPO_CONFIG, parseRepoConfig, type RepoConfig } from "../../src/config/repo-config.ts";
import { decideAccess, decideIntent } from "../../src/triggers/decide.ts";
import type { WebhookTrigger } from "../../src/triggers/types.ts";
import { extractRequest, mentions } from "../../src/triggers/mention.ts";

describe("mentions", () => {
  it.each([
    ["@bot add docs", true],
    ["Hey @bot, add docs", true],
    ["@BOT add docs", true],
    ["(@bot) please", true],
    ["no mention here", false],
    ["@bot-other add docs", false],
    ["@botty add docs", false],
    ["mail me at x@bot.com", false],
    ["> @bot quoted from someone else", false],
    ["`@bot` in code", false],
    ["```\n@bot in a fence\n```", false],
    ["```\n@bot in a fence\n```\n@bot but here", true],
  ])("%j → %s", (body, expected) => {
    expect(mentions(body, "@bot")).toBe(expected);
  });

  it("takes the mention out of the request", () => {
    expect(extractRequest("@bot add a CONTRIBUTING guide", "@bot")).toBe("add a CONTRIBUTING guide");
    expect(extractRequest("Please @bot fix the typo", "@bot")).toBe("Please  fix the typo");
  });
});

const repo = { id: 1, owner: "acme", name: "w", fullName: "acme/w", htmlUrl: "", defaultBranch: "main", private: false };
const issue = { number: 1, isPullRequest: false, title: "t", body: "b", htmlUrl: "", author: "bob" };
const pull = { ...issue, isPullRequest: true };
function t(over: Partial<WebhookTrigger>): WebhookTrigger {
  return { kind: "issue_comment", deliveryId: "d", installationId: 1, repo, actor: { login: "alice", type: "User" }, thread: issue, source: { type: "issue_comment", commentId: 1 }, text: "@bot do it", mode: "code", ...over };
}
function intent(trigger: WebhookTrigger, action = "created", config: RepoConfig = DEFAULT_REPO_CONFIG) {
  return decideIntent({ action, trigger, config, triggerPhrase: "@bot", appLogin: "bot[bot]" });
}
const withConfig = (over: Record<string, unknown>) => parseRepoConfig(over).ok ? (parseRepoConfig(over) as { config: RepoConfig }).config : DEFAULT_REPO_CONFIG;

describe("decideIntent", () => {
  it.each([
    ["a mention in an issue", t({}), "created", { type: "run", mode: "code" }],
    ["a mention in a PR conversation", t({ thread: pull }), "created", { type: "run", mode: "code" }],
    ["@bot review in a PR", t({ thread: pull, text: "@bot review please, focus on tests" }), "created", { type: "run", mode: "review" }],
    ["@bot review in an issue is a normal request", t({ text: "@bot review the docs" }), "created", { type: "run", mode: "code" }],
    ["@bot stop", t({ text: "@bot stop" }), "created", { type: "command", command: "stop" }],
    ["@bot cancel.", t({ text: "@bot cancel." }), "created", { type: "command", command: "stop" }],
    ["@bot status", t({ text: "@bot status" }), "created", { type: "command", command: "status" }],
    ["@bot reset", t({ text: "@bot Reset!" }), "created", { type: "command", command: "reset" }],
    ["a sentence starting with stop", t({ text: "@bot stop the crash on start" }), "created", { type: "run", mode: "code" }],
    ["a review comment mention", t({ kind: "review_comment", thread: pull }), "created", { type: "run", mode: "code" }],
    ["a submitted review mention", t({ kind: "review", thread: pull }), "submitted", { type: "run", mode: "code" }],
    ["a new issue mentioning the bot", t({ kind: "issue_opened", source: { type: "issue" }, text: "Crash\n\n@bot please fix" }), "opened", { type: "run", mode: "code" }],
    ["the fix label on an issue", t({ kind: "issue_labeled", source: { type: "label", label: "claude-fix" } }), "labeled", { type: "run", mode: "code" }],
    ["the review label on a PR", t({ kind: "pull_labeled", thread: pull, source: { type: "label", label: "claude-review" } }), "labeled", { type: "run", mode: "review" }],
  ] as const)("runs for %s", (_name, trigger, action, expected) => {
    expect(intent(trigger, action)).toEqual(expected);
  });

  it.each([
    ["an edited comment", t({}), "edited", "issue_comment edited"],
    ["the app's own comment", t({ actor: { login: "bot[bot]", type: "Bot" } }), "created", "the app's own"],
    ["another bot", t({ actor: { login: "renovate[bot]", type: "Bot" } }), "created", "bots"],
    ["a bot posing as a user", t({ actor: { login: "sneaky[bot]", type: "User" } }), "created", "bots"],
    ["no mention", t({ text: "hello" }), "created", "no @bot mention"],
    ["a new issue without the mention", t({ kind: "issue_opened", source: { type: "issue" }, text: "Crash" }), "opened", "no @bot mention"],
    ["an unrelated label", t({ kind: "issue_labeled", source: { type: "label", label: "bug" } }), "labeled", 'label "bug"'],
    ["the review label on an issue", t({ kind: "issue_labeled", source: { type: "label", label: "claude-review" } }), "labeled", "not one of ours"],
    ["an assignment to someone else", t({ kind: "issue_assigned", source: { type: "assignment", assignee: "carol" } }), "assigned", "not a configured assignee"],
    ["a review requested from a human", t({ kind: "review_requested", thread: pull, source: { type: "review_request", reviewer: "carol" } }), "review_requested", "not a configured reviewer"],
  ] as const)("ignores %s", (_name, trigger, action, reason) => {
    const decision = intent(trigger, action);
    expect(decision.type).toBe("ignore");
    expect(decision.type === "ignore" && decision.reason).toContain(reason);
  });

  it("follows the repository's configuration", () => {
    const config = withConfig({ assignees: ["claude-helper"], reviewers: ["acme/ai-reviewers", "robo"], labels: { fix: "ai-fix" }, access: { allowUsers: ["deploy-bot[bot]"] } });
    expect(intent(t({ kind: "issue_assigned", source: { type: "assignment", assignee: "Claude-Helper" } }), "assigned", config)).toEqual({ type: "run", mode: "code" });
    expect(intent(t({ kind: "review_requested", thread: pull, source: { type: "review_request", reviewer: "team:ai-reviewers" } }), "review_requested", config)).toEqual({ type: "run", mode: "review" });
    expect(intent(t({ kind: "review_requested", thread: pull, source: { type: "review_request", reviewer: "robo" } }), "review_requested", config)).toEqual({ type: "run", mode: "review" });
    expect(intent(t({ kind: "issue_labeled", source: { type: "label", label: "ai-fix" } }), "labeled", config)).toEqual({ type: "run", mode: "code" });
    expect(intent(t({ kind: "issue_labeled", source: { type: "label", label: "claude-fix" } }), "labeled", config).type).toBe("ignore");
    expect(intent(t({ actor: { login: "deploy-bot[bot]", type: "Bot" } }), "created", config)).toEqual({ type: "run", mode: "code" });
  });
});

describe("decideAccess: the permission matrix", () => {
  const access = (over: Partial<RepoConfig["access"]> = {}) => ({ ...DEFAULT_REPO_CONFIG.access, ...over });
  it.each([
    ["admin", true],
    ["maintain", true],
    ["write", true],
    ["triage", false],
    ["read", false],
    ["none", false],
    ["something-new", false],
  ])("%s with the default minimum → %s", (permission, allowed) => {
    expect(decideAccess({ login: "u", permission, access: access() }).allowed).toBe(allowed);
  });
  it.each([
    ["read", "read", true],
    ["triage", "maintain", false],
    ["maintain", "maintain", true],
    ["write", "admin", false],
  ])("%s with minimum %s → %s", (permission, minimumPermission, allowed) => {
    expect(decideAccess({ login: "u", permission, access: access({ minimumPermission: minimumPermission as "read" }) }).allowed).toBe(allowed);
  });
  it("lets the allow list in and keeps the deny list out, whatever the permission", () => {
    expect(decideAccess({ login: "Guest", permission: "none", access: access({ allowUsers: ["guest"] }) }).allowed).toBe(true);
    expect(decideAccess({ login: "Boss", permission: "admin", access: access({ denyUsers: ["boss"] }) }).allowed).toBe(false);
    expect(decideAccess({ login: "both", permission: "admin", access: access({ allowUsers: ["both"], denyUsers: ["both"] }) }).allowed).toBe(false);
  });
});

describe("issueBranch", () => {
  it.each([
    ["claude/", 7, "claude/issue-7"],
    ["claude", 7, "claude/issue-7"],
    ["bot-", 7, "bot-issue-7"],
    ["we ird//x/", 3, "we-ird/x/issue-3"],
  ])("%j + %d → %s", (prefix, n, expected) => {
    expect(issueBranch(prefix, n)).toBe(expected);
  });
});
