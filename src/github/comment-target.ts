import type { Source, Trigger } from "../triggers/types.ts";
import type { GitHubClient, RepoCoords } from "./octokit-types.ts";
import { fitBody } from "./body-limit.ts";

/**
 * Where the bot answers: in the issue/PR conversation, or — for a line comment in a review — as a
 * reply in that review thread. Both are edited in place the same way.
 */

export type CommentTarget =
  | { type: "issue"; issueNumber: number }
  | { type: "review_thread"; pullNumber: number; replyTo: number }
  /** A run API run without an issue: its progress and result live in the bot's own API and dashboard. */
  | { type: "none" };

export function targetFor(trigger: Pick<Trigger, "thread" | "source">): CommentTarget {
  if (trigger.source.type === "review_comment") return { type: "review_thread", pullNumber: trigger.thread.number, replyTo: trigger.source.commentId };
  if (trigger.thread.number === 0) return { type: "none" };
  return { type: "issue", issueNumber: trigger.thread.number };
}

/** Posts a comment and returns its id (0 for the "none" target, which posts nothing). */
export async function postComment(client: GitHubClient, where: RepoCoords, target: CommentTarget, body: string): Promise<number> {
  if (target.type === "none") return 0;
  if (target.type === "issue") {
    const { data } = await client.rest.issues.createComment({ ...where, issue_number: target.issueNumber, body: fitBody(body) });
    return data.id;
  }
  const { data } = await client.rest.pulls.createReplyForReviewComment({ ...where, pull_number: target.pullNumber, comment_id: target.replyTo, body: fitBody(body) });
  return data.id;
}

export async function editComment(client: GitHubClient, where: RepoCoords, target: CommentTarget, commentId: number, body: string): Promise<void> {
  if (target.type === "none") return;
  if (target.type === "issue") await client.rest.issues.updateComment({ ...where, comment_id: commentId, body: fitBody(body) });
  else await client.rest.pulls.updateReviewComment({ ...where, comment_id: commentId, body: fitBody(body) });
}

/** 👀 on what asked: the comment, or the issue/PR itself. Reviews have no reactions API: nothing. */
export async function react(client: GitHubClient, where: RepoCoords, source: Source, threadNumber: number, content: "eyes" | "+1" | "confused"): Promise<void> {
  switch (source.type) {
    case "issue_comment":
      await client.rest.reactions.createForIssueComment({ ...where, comment_id: source.commentId, content });
      return;
    case "review_comment":
      await client.rest.reactions.createForPullRequestReviewComment({ ...where, comment_id: source.commentId, content });
      return;
    case "review":
    case "api":
    case "ci":
      return;
    default:
      await client.rest.reactions.createForIssue({ ...where, issue_number: threadNumber, content });
  }
}
