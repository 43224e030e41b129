import { describe, expect, it } from "vitest";
import { parseIssueComment, parseIssueEvent, parsePullRequestEvent, parseReview, parseReviewComment, type ParseResult } from "../../src/triggers/parse-trigger.ts";
import type { WebhookTrigger } from "../../src/triggers/types.ts";

/** Webhook payload → Trigger: only the fields the bot uses, checked; the text exactly as written. */

const repository = { id: 7, name: "widgets", full_name: "acme/widgets", owner: { login: "acme" }, html_url: "https://github.com/acme/widgets", default_branch: "main", private: true, extra: "ignored" };
const alice = { login: "alice", type: "User" };
const issue = { number: 3, title: "Crash", body: "It crashes", html_url: "https://github.com/acme/widgets/issues/3", user: { login: "bob", type: "User" }, comments: 2 };
const pull = { number: 4, title: "Fix", body: null, html_url: "https://github.com/acme/widgets/pull/4", user: { login: "bob", type: "User" } };
const base = { installation: { id: 11 }, repository, sender: alice };

const repo = { id: 7, owner: "acme", name: "widgets", fullName: "acme/widgets", htmlUrl: "https://github.com/acme/widgets", defaultBranch: "main", private: true };
const issueThread = { number: 3, isPullRequest: false, title: "Crash", body: "It crashes", htmlUrl: "https://github.com/acme/widgets/issues/3", author: "bob", commentCount: 2 };
const pullThread = { number: 4, isPullRequest: true, title: "Fix", body: "", htmlUrl: "https://github.com/acme/widgets/pull/4", author: "bob" };
const ok = (over: Partial<WebhookTrigger> & Pick<WebhookTrigger, "kind" | "thread" | "source" | "text">): ParseResult => ({
  ok: true,
  trigger: { deliveryId: "d-1", installationId: 11, repo, actor: alice, mode: "code", ...over },
});

type Parser = (deliveryId: string, payload: unknown) => ParseResult;
const issueComment = (body: string | null, over: Record<string, unknown> = {}) => ({ ...base, action: "created", issue, comment: { id: 9, body, user: alice }, ...over });

describe("parse-trigger", () => {
  it.each<[string, Parser, unknown, ParseResult]>([
    ["a comment on an issue", parseIssueComment, issueComment("@bot fix it"),
      ok({ kind: "issue_comment", thread: issueThread, source: { type: "issue_comment", commentId: 9 }, text: "@bot fix it" })],
    ["the phrase in the middle: the text as written", parseIssueComment, issueComment("Please @bot fix it"),
      ok({ kind: "issue_comment", thread: issueThread, source: { type: "issue_comment", commentId: 9 }, text: "Please @bot fix it" })],
    ["a quoted or code-fenced phrase is kept: decide.ts judges it", parseIssueComment, issueComment("> @bot said\n```\n@bot\n```"),
      ok({ kind: "issue_comment", thread: issueThread, source: { type: "issue_comment", commentId: 9 }, text: "> @bot said\n```\n@bot\n```" })],
    ["a comment with no body", parseIssueComment, issueComment(null),
      ok({ kind: "issue_comment", thread: issueThread, source: { type: "issue_comment", commentId: 9 }, text: "" })],
    ["a comment on a PR's conversation (the issue carries pull_request)", parseIssueComment, issueComment("@bot go", { issue: { ...issue, pull_request: { url: "x" }, body: null, comments: undefined } }),
      ok({ kind: "issue_comment", thread: { number: 3, isPullRequest: true, title: "Crash", body: "", htmlUrl: issue.html_url, author: "bob" }, source: { type: "issue_comment", commentId: 9 }, text: "@bot go" })],
    ["a review comment on a line", parseReviewComment, { ...base, action: "created", pull_request: pull, comment: { id: 5, body: "@bot rename", user: alice, path: "src/a.ts", line: 12, original_line: 10, side: "LEFT", diff_hunk: "@@ -1 +1 @@" } },
      ok({ kind: "review_comment", thread: pullThread, source: { type: "review_comment", commentId: 5, path: "src/a.ts", line: 12, side: "LEFT", diffHunk: "@@ -1 +1 @@" }, text: "@bot rename" })],
    ["an outdated review comment: the original line, the right side, no hunk", parseReviewComment, { ...base, action: "created", pull_request: pull, comment: { id: 5, body: "@bot rename", user: alice, path: "src/a.ts", line: null, original_line: 10, side: null, diff_hunk: null } },
      ok({ kind: "review_comment", thread: pullThread, source: { type: "review_comment", commentId: 5, path: "src/a.ts", line: 10, side: "RIGHT", diffHunk: "" }, text: "@bot rename" })],
    ["a review comment with no line at all", parseReviewComment, { ...base, action: "created", pull_request: pull, comment: { id: 5, body: null, user: alice, path: "src/a.ts" } },
      ok({ kind: "review_comment", thread: pullThread, source: { type: "review_comment", commentId: 5, path: "src/a.ts", line: null, side: "RIGHT", diffHunk: "" }, text: "" })],
    ["a submitted review", parseReview, { ...base, action: "submitted", pull_request: pull, review: { id: 8, body: "@bot apply these", user: alice } },
      ok({ kind: "review", thread: pullThread, source: { type: "review", reviewId: 8 }, text: "@bot apply these" })],
    ["a submitted review without a body", parseReview, { ...base, action: "submitted", pull_request: pull, review: { id: 8, body: null, user: alice } },
      ok({ kind: "review", thread: pullThread, source: { type: "review", reviewId: 8 }, text: "" })],
    ["a new issue: its author is the actor, title and body the text", parseIssueEvent, { ...base, action: "opened", issue },
      ok({ kind: "issue_opened", actor: { login: "bob", type: "User" }, thread: issueThread, source: { type: "issue" }, text: "Crash\n\nIt crashes" })],
    ["a new issue with no body: the title alone", parseIssueEvent, { ...base, action: "opened", issue: { ...issue, body: null } },
      ok({ kind: "issue_opened", actor: { login: "bob", type: "User" }, thread: { ...issueThread, body: "" }, source: { type: "issue" }, text: "Crash" })],
    ["an issue labelled: the sender is the actor", parseIssueEvent, { ...base, action: "labeled", issue, label: { name: "claude-fix" } },
      ok({ kind: "issue_labeled", thread: issueThread, source: { type: "label", label: "claude-fix" }, text: "Crash\n\nIt crashes" })],
    ["an issue assigned", parseIssueEvent, { ...base, action: "assigned", issue, assignee: { login: "bot", type: "Bot" } },
      ok({ kind: "issue_assigned", thread: issueThread, source: { type: "assignment", assignee: "bot" }, text: "Crash\n\nIt crashes" })],
    ["an assignment without an assignee", parseIssueEvent, { ...base, action: "assigned", issue, assignee: null },
      ok({ kind: "issue_assigned", thread: issueThread, source: { type: "assignment", assignee: "" }, text: "Crash\n\nIt crashes" })],
    ["a PR labelled", parsePullRequestEvent, { ...base, action: "labeled", pull_request: pull, label: { name: "claude-review" } },
      ok({ kind: "pull_labeled", thread: pullThread, source: { type: "label", label: "claude-review" }, text: "Fix" })],
    ["a review requested from a user", parsePullRequestEvent, { ...base, action: "review_requested", pull_request: { ...pull, body: "Details" }, requested_reviewer: { login: "bot", type: "Bot" } },
      ok({ kind: "review_requested", thread: { ...pullThread, body: "Details" }, source: { type: "review_request", reviewer: "bot" }, text: "Fix\n\nDetails" })],
    ["a review requested from a team", parsePullRequestEvent, { ...base, action: "review_requested", pull_request: pull, requested_team: { slug: "core" } },
      ok({ kind: "review_requested", thread: pullThread, source: { type: "review_request", reviewer: "team:core" }, text: "Fix" })],
  ])("%s", (_name, parse, payload, expected) => {
    expect(parse("d-1", payload)).toEqual(expected);
  });

  it.each<[string, Parser, unknown, string]>([
    ["no installation", parseIssueComment, { ...issueComment("@bot"), installation: undefined }, "payload field installation:"],
    ["a comment without an id", parseIssueComment, { ...issueComment("@bot"), comment: { body: "@bot", user: alice } }, "payload field comment.id:"],
    ["a repository without its default branch", parseReview, { ...base, action: "submitted", repository: { ...repository, default_branch: undefined }, pull_request: pull, review: { id: 8, body: "", user: alice } }, "payload field repository.default_branch:"],
    ["a review comment without a path", parseReviewComment, { ...base, action: "created", pull_request: pull, comment: { id: 5, body: "@bot", user: alice } }, "payload field comment.path:"],
    ["not an object at all", parseIssueEvent, "nonsense", "payload field ?:"],
  ])("refuses %s", (_name, parse, payload, reason) => {
    const result = parse("d-1", payload);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(reason);
  });
});
