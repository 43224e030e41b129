import { describe, expect, it } from "vitest";
import { requestText } from "../../src/triggers/request-text.ts";
import type { Trigger } from "../../src/triggers/types.ts";
import { sampleTrigger } from "../support/sample-trigger.ts";

/** requestText: what the user asked for, as the prompt's request. */

const onPull = (over: Partial<Trigger>) => sampleTrigger({ thread: { ...sampleTrigger().thread, isPullRequest: true }, ...over });

describe("requestText", () => {
  it.each<[string, Partial<Trigger>, string]>([
    ["the phrase at the start is taken out", { text: "@bot add a CONTRIBUTING guide" }, "add a CONTRIBUTING guide"],
    ["the phrase in the middle is taken out, the words around it stay", { text: "Please @bot fix the typo" }, "Please  fix the typo"],
    ["the phrase in any case", { text: "@BOT add docs" }, "add docs"],
    ["only the first mention goes", { text: "@bot tell @bot hello" }, "tell @bot hello"],
    ["a longer name or an e-mail address is not the phrase", { text: "@bot-other and x@bot.com: @bot fix" }, "@bot-other and x@bot.com:  fix"],
    ["surrounding whitespace is trimmed", { text: "  \n@bot  add docs \n" }, "add docs"],
    ["lines after the mention are kept", { text: "@bot fix this\n\n- step one\n- step two" }, "fix this\n\n- step one\n- step two"],
    ["a quote after the request is kept", { text: "@bot\n\n> the error" }, "> the error"],
    ["a quoted mention stays; the spoken one goes", { text: "> @bot quoted\n\n@bot do it" }, "> @bot quoted\n\n do it"],
    ["a mention in a fence stays; the spoken one goes", { text: "```\n@bot in fence\n```\n@bot do it" }, "```\n@bot in fence\n```\n do it"],
    ["a mention in inline code stays; the spoken one goes", { text: "`@bot` is me. @bot do it" }, "`@bot` is me.  do it"],
    ["a comma after an opening mention goes with it", { text: "@bot, fix it" }, "fix it"],
    ["a colon after an opening mention goes with it", { text: "@bot: fix it" }, "fix it"],
    ["a command word is text here (decide.ts answers commands before a run)", { text: "@bot stop the crash on start" }, "stop the crash on start"],
    ["nothing but the phrase: the issue is the request", { text: "@bot" }, "Resolve this issue."],
    ["an empty comment", { text: "" }, "Resolve this issue."],
    ["whitespace only", { text: " \n\t" }, "Resolve this issue."],
    ["a review comment", { kind: "review_comment", text: "@bot rename this variable" }, "rename this variable"],
    ["a submitted review", { kind: "review", text: "@bot apply my suggestions" }, "apply my suggestions"],
    ["a new issue: its title and body, the mention taken out", { kind: "issue_opened", source: { type: "issue" }, text: "Crash on start\n\n@bot please fix" }, "Crash on start\n\n please fix"],
    ["review mode drops the verb", { mode: "review", text: "@bot review" }, "Review this pull request."],
    ["review mode drops the verb and its punctuation", { mode: "review", text: "@bot review: focus on the tests" }, "focus on the tests"],
    ["review mode drops only the word review", { mode: "review", text: "@bot reviewer notes please" }, "reviewer notes please"],
    ["code mode keeps the word review", { text: "@bot review the docs" }, "review the docs"],
    ["an issue labelled for a fix", { kind: "issue_labeled", source: { type: "label", label: "claude-fix" }, text: "Title\n\nBody" }, "Resolve this issue."],
    ["an issue assigned to the bot", { kind: "issue_assigned", source: { type: "assignment", assignee: "bot" }, text: "Title" }, "Resolve this issue."],
    ["a review requested from the bot", { kind: "review_requested", mode: "review", source: { type: "review_request", reviewer: "bot" }, text: "Title" }, "Review this pull request."],
    ["a run API request is taken as written", { kind: "api", text: " @bot keep this as is " }, " @bot keep this as is "],
  ])("%s", (_name, over, expected) => {
    expect(requestText(sampleTrigger(over), "@bot")).toBe(expected);
  });

  it.each<[string, Trigger, string]>([
    ["a PR labelled for review", onPull({ kind: "pull_labeled", mode: "review", source: { type: "label", label: "claude-review" } }), "Review this pull request."],
    ["a PR labelled in code mode", onPull({ kind: "pull_labeled", source: { type: "label", label: "claude-fix" } }), "Resolve what this pull request asks for."],
  ])("%s", (_name, trigger, expected) => {
    expect(requestText(trigger, "@bot")).toBe(expected);
  });

  it.each<[string, string, string, string]>([
    ["a phrase with regex characters is matched literally", "@my.bot+", "@my.bot+ fix it", "fix it"],
    ["… so a look-alike is not taken out", "@my.bot+", "@myXbot+ fix it", "@myXbot+ fix it"],
    ["a phrase that is not a mention", "/claude", "/claude fix it", "fix it"],
  ])("%s", (_name, phrase, text, expected) => {
    expect(requestText(sampleTrigger({ text }), phrase)).toBe(expected);
  });
});
