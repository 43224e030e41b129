import { describe, expect, it } from "vitest";
import { issueBranch } from "../../src/triggers/branch-name.ts";
import { decideMention, decidePermission } from "../../src/triggers/decide.ts";
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

describe("decideMention", () => {
  const base = { action: "created", body: "@bot do it", author: { login: "alice", type: "User" }, triggerPhrase: "@bot", appLogin: "bot[bot]" };

  it("runs on a new comment by a human that mentions the bot", () => {
    expect(decideMention(base)).toEqual({ run: true });
  });
  it.each([
    [{ action: "edited" }, "comment edited"],
    [{ action: "deleted" }, "comment deleted"],
    [{ author: { login: "bot[bot]", type: "Bot" } }, "the app's own"],
    [{ author: { login: "dependabot[bot]", type: "Bot" } }, "bots"],
    [{ author: { login: "sneaky[bot]", type: "User" } }, "bots"],
    [{ body: "no trigger" }, "no @bot mention"],
  ])("ignores %j", (override, reason) => {
    const decision = decideMention({ ...base, ...override });
    expect(decision.run).toBe(false);
    expect(decision.run === false && decision.reason).toContain(reason);
  });
});

describe("decidePermission", () => {
  it.each([
    ["admin", true],
    ["maintain", true],
    ["write", true],
    ["triage", false],
    ["read", false],
    ["none", false],
    ["something-new", false],
  ])("%s → %s", (permission, expected) => {
    expect(decidePermission(permission).run).toBe(expected);
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
