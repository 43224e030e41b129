import { describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG } from "../../src/config/repo-config.ts";
import { decideDelivery } from "../../src/triggers/decide.ts";
import { requestText, runRequest } from "../../src/triggers/request-text.ts";
import type { Trigger, WebhookTrigger } from "../../src/triggers/types.ts";
import { sampleTrigger } from "../support/sample-trigger.ts";

/**
 * The request is taken out of the text once, when the delivery is decided, and stored with the
 * run (trigger.request); a run reads it back, and a run stored before that falls back to
 * requestText. What the prompt gets is the same either way.
 */

const webhook = (over: Partial<WebhookTrigger>) => sampleTrigger(over) as WebhookTrigger;
const onPull = (over: Partial<WebhookTrigger>) => webhook({ thread: { ...sampleTrigger().thread, isPullRequest: true }, ...over });
const config = { ...DEFAULT_REPO_CONFIG, assignees: ["claude-helper"], reviewers: ["claude-helper"] };
const decide = (trigger: WebhookTrigger, action: string) => decideDelivery({ action, trigger, config, triggerPhrase: "@bot", appLogin: "bot[bot]" });

describe("decideDelivery's request", () => {
  it.each<[string, WebhookTrigger, string, "code" | "review", string]>([
    ["a comment", webhook({ text: "Please @bot fix the typo" }), "created", "code", "Please  fix the typo"],
    ["a review comment", onPull({ kind: "review_comment", text: "@bot rename this" }), "created", "code", "rename this"],
    ["a submitted review", onPull({ kind: "review", text: "@bot apply my suggestions" }), "submitted", "code", "apply my suggestions"],
    ["@bot review on a PR: the verb goes", onPull({ text: "@bot review: focus on the tests" }), "created", "review", "focus on the tests"],
    ["@bot review alone", onPull({ text: "@bot review" }), "created", "review", "Review this pull request."],
    ["just the phrase", webhook({ text: "@bot" }), "created", "code", "Resolve this issue."],
    ["a new issue", webhook({ kind: "issue_opened", source: { type: "issue" }, text: "Crash\n\n@bot please fix" }), "opened", "code", "Crash\n\n please fix"],
    ["the fix label", webhook({ kind: "issue_labeled", source: { type: "label", label: "claude-fix" } }), "labeled", "code", "Resolve this issue."],
    ["the fix label on a PR", onPull({ kind: "pull_labeled", source: { type: "label", label: "claude-fix" } }), "labeled", "code", "Resolve what this pull request asks for."],
    ["the review label", onPull({ kind: "pull_labeled", source: { type: "label", label: "claude-review" } }), "labeled", "review", "Review this pull request."],
    ["an assignment", webhook({ kind: "issue_assigned", source: { type: "assignment", assignee: "claude-helper" } }), "assigned", "code", "Resolve this issue."],
    ["a review request", onPull({ kind: "review_requested", source: { type: "review_request", reviewer: "claude-helper" } }), "review_requested", "review", "Review this pull request."],
  ])("%s", (_name, trigger, action, mode, expected) => {
    const decision = decide(trigger, action);
    expect(decision.intent).toEqual({ type: "run", mode });
    expect(decision.request).toBe(expected);
    // What a run stored without the field computes at run time: the same request.
    expect(requestText({ ...trigger, mode }, "@bot")).toBe(expected);
  });

  it("commands and ignored deliveries carry no request", () => {
    expect(decide(webhook({ text: "@bot stop" }), "created")).toEqual({ intent: { type: "command", command: "stop" } });
    expect(decide(webhook({ text: "no mention" }), "created").request).toBeUndefined();
    expect(decide(webhook({}), "edited").request).toBeUndefined();
  });
});

describe("runRequest", () => {
  it("uses the request decided at intake, not the text", () => {
    const stored: Trigger = sampleTrigger({ text: "@bot fix it", request: "decided earlier" });
    expect(runRequest(stored, "@bot")).toBe("decided earlier");
  });

  it("falls back to requestText for a run stored before triggers carried the request", () => {
    expect(runRequest(sampleTrigger({ text: "@bot fix it" }), "@bot")).toBe("fix it");
    expect(runRequest(sampleTrigger({ text: "/claude fix it" }), "/claude")).toBe("fix it");
    expect(runRequest(sampleTrigger({ kind: "api", source: { type: "api" }, text: " as written " }), "@bot")).toBe(" as written ");
  });
});
