import type { z } from "zod";
import {
  issueCommentPayload,
  issuesPayload,
  pullRequestPayload,
  repositorySchema,
  reviewCommentPayload,
  reviewPayload,
} from "./payload-schemas.ts";
import type { RepoRef, ThreadRef, WebhookTrigger } from "./types.ts";

/** Payload → Trigger, one function per event. Pure. `mode` is "code" here; decide.ts may switch it. */

export type ParseResult = { ok: true; trigger: WebhookTrigger } | { ok: false; reason: string };

function repoRef(r: z.infer<typeof repositorySchema>): RepoRef {
  return { id: r.id, owner: r.owner.login, name: r.name, fullName: r.full_name, htmlUrl: r.html_url, defaultBranch: r.default_branch, private: r.private };
}

type Thread = { number: number; title: string; body: string | null; html_url: string; user: { login: string }; comments?: number | undefined };
function threadRef(t: Thread, isPullRequest: boolean): ThreadRef {
  const ref: ThreadRef = { number: t.number, isPullRequest, title: t.title, body: t.body ?? "", htmlUrl: t.html_url, author: t.user.login };
  if (t.comments !== undefined) ref.commentCount = t.comments;
  return ref;
}

function parse<S extends z.ZodType>(schema: S, payload: unknown, build: (p: z.infer<S>) => Omit<WebhookTrigger, "deliveryId" | "mode">, deliveryId: string): ParseResult {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, reason: `payload field ${first?.path.join(".") || "?"}: ${first?.message ?? "invalid"}` };
  }
  return { ok: true, trigger: { ...build(parsed.data), deliveryId, mode: "code" } };
}

const common = (p: { installation: { id: number }; repository: z.infer<typeof repositorySchema> }) => ({ installationId: p.installation.id, repo: repoRef(p.repository) });

export const parseIssueComment = (deliveryId: string, payload: unknown) =>
  parse(issueCommentPayload, payload, (p) => ({
    ...common(p),
    kind: "issue_comment",
    actor: p.comment.user,
    thread: threadRef(p.issue, p.issue.pull_request != null),
    source: { type: "issue_comment", commentId: p.comment.id },
    text: p.comment.body ?? "",
  }), deliveryId);

export const parseReviewComment = (deliveryId: string, payload: unknown) =>
  parse(reviewCommentPayload, payload, (p) => ({
    ...common(p),
    kind: "review_comment",
    actor: p.comment.user,
    thread: threadRef(p.pull_request, true),
    source: {
      type: "review_comment",
      commentId: p.comment.id,
      path: p.comment.path,
      line: p.comment.line ?? p.comment.original_line ?? null,
      side: p.comment.side ?? "RIGHT",
      diffHunk: p.comment.diff_hunk ?? "",
    },
    text: p.comment.body ?? "",
  }), deliveryId);

export const parseReview = (deliveryId: string, payload: unknown) =>
  parse(reviewPayload, payload, (p) => ({
    ...common(p),
    kind: "review",
    actor: p.review.user,
    thread: threadRef(p.pull_request, true),
    source: { type: "review", reviewId: p.review.id },
    text: p.review.body ?? "",
  }), deliveryId);

/** issues.opened / issues.assigned / issues.labeled: the issue itself is the request. */
export const parseIssueEvent = (deliveryId: string, payload: unknown) =>
  parse(issuesPayload, payload, (p) => {
    const thread = threadRef(p.issue, p.issue.pull_request != null);
    const text = `${p.issue.title}\n\n${p.issue.body ?? ""}`.trim();
    if (p.action === "labeled") return { ...common(p), kind: "issue_labeled", actor: p.sender, thread, source: { type: "label", label: p.label?.name ?? "" }, text };
    if (p.action === "assigned") return { ...common(p), kind: "issue_assigned", actor: p.sender, thread, source: { type: "assignment", assignee: p.assignee?.login ?? "" }, text };
    return { ...common(p), kind: "issue_opened", actor: p.issue.user, thread, source: { type: "issue" }, text };
  }, deliveryId);

/** pull_request.review_requested / pull_request.labeled: review mode candidates. */
export const parsePullRequestEvent = (deliveryId: string, payload: unknown) =>
  parse(pullRequestPayload, payload, (p) => {
    const thread = threadRef(p.pull_request, true);
    const text = `${p.pull_request.title}\n\n${p.pull_request.body ?? ""}`.trim();
    if (p.action === "labeled") return { ...common(p), kind: "pull_labeled", actor: p.sender, thread, source: { type: "label", label: p.label?.name ?? "" }, text };
    const reviewer = p.requested_reviewer?.login ?? (p.requested_team ? `team:${p.requested_team.slug}` : "");
    return { ...common(p), kind: "review_requested", actor: p.sender, thread, source: { type: "review_request", reviewer }, text };
  }, deliveryId);
