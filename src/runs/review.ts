import { inertMentions, inlineCode } from "../util/markdown.ts";
import { z } from "zod";
import { indexPatches, type Side } from "../github/diff-lines.ts";
import type { GitHubClient, RepoCoords } from "../github/octokit-types.ts";
import type { PullContext } from "../github/thread-context.ts";
import { fitBody } from "../github/body-limit.ts";

/** Review mode: Claude's structured answer → one pull request review. Nothing is pushed. */

export const REVIEW_JSON_SCHEMA = {
  type: "object",
  properties: {
    summary: { type: "string", description: "The review's overall summary, in markdown." },
    verdict: { type: "string", enum: ["approve", "request_changes", "comment"] },
    comments: {
      type: "array",
      items: {
        type: "object",
        properties: {
          path: { type: "string", description: "File path relative to the repository root." },
          line: { type: "integer", minimum: 1 },
          side: { type: "string", enum: ["LEFT", "RIGHT"] },
          body: { type: "string" },
        },
        required: ["path", "line", "body"],
      },
    },
  },
  required: ["summary", "verdict", "comments"],
} as const;

export const reviewOutputSchema = z.object({
  summary: z.string(),
  verdict: z.enum(["approve", "request_changes", "comment"]),
  comments: z.array(z.object({ path: z.string(), line: z.number().int().positive(), side: z.enum(["LEFT", "RIGHT"]).default("RIGHT"), body: z.string() })).default([]),
});
export type ReviewOutput = z.infer<typeof reviewOutputSchema>;

/** The structured answer arrives as the result text (or a structured_output field in newer CLIs). */
export function parseReviewOutput(result: { result?: string | undefined; structured_output?: unknown }): { ok: true; review: ReviewOutput } | { ok: false; problem: string } {
  let candidate: unknown = result.structured_output;
  if (candidate === undefined) {
    const text = (result.result ?? "").trim().replace(/^```(?:json)?\n([\s\S]*)\n```$/, "$1");
    try {
      candidate = JSON.parse(text);
    } catch {
      return { ok: false, problem: "Claude's answer was not the structured review (not JSON)" };
    }
  }
  const parsed = reviewOutputSchema.safeParse(candidate);
  if (!parsed.success) return { ok: false, problem: `Claude's review did not match the schema: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}` };
  return { ok: true, review: parsed.data };
}

const EVENT = { approve: "APPROVE", request_changes: "REQUEST_CHANGES", comment: "COMMENT" } as const;

export interface PlannedReview {
  event: (typeof EVENT)[keyof typeof EVENT];
  body: string;
  comments: Array<{ path: string; line: number; side: Side; body: string }>;
  /** Comments whose line is not in the diff: moved into the body, since GitHub would reject them. */
  moved: number;
}

const VERDICT_TEXT = { approve: "approve", request_changes: "request changes", comment: "comment" } as const;

/** True when the app opened the pull request (its author is the app's bot user). */
export function isOwnPull(pull: Pick<PullContext, "author"> | null, appLogin: string): boolean {
  const author = pull?.author;
  return author !== undefined && author !== "" && author.toLowerCase() === appLogin.toLowerCase();
}

/**
 * Pure: splits the comments into inline ones (on a line of the diff) and ones moved into the
 * summary. On the app's own pull request GitHub answers APPROVE and REQUEST_CHANGES with 422
 * ("Can not approve your own pull request"), so the review is a COMMENT that states the verdict.
 */
export function planReview(review: ReviewOutput, files: PullContext["files"], footer: string, options: { ownPull?: boolean } = {}): PlannedReview {
  const lines = indexPatches(files);
  const inline: PlannedReview["comments"] = [];
  const outside: string[] = [];
  for (const c of review.comments) {
    // A new review notifies whoever it mentions: Claude's @mentions are made inert.
    if (lines.get(c.path)?.[c.side].has(c.line)) inline.push({ path: c.path, line: c.line, side: c.side, body: inertMentions(c.body) });
    else outside.push(`- ${inlineCode(c.path, { maxChars: 200 })} line ${c.line}: ${inertMentions(c.body)}`);
  }
  const downgraded = options.ownPull === true && review.verdict !== "comment";
  const parts = downgraded
    ? [`Verdict: **${VERDICT_TEXT[review.verdict]}** (posted as a comment: this pull request was opened by the app, and GitHub does not let a pull request's author approve or request changes on it).`, inertMentions(review.summary.trim())]
    : [inertMentions(review.summary.trim())];
  if (outside.length) parts.push(`**Comments on lines outside this pull request's diff:**\n${outside.join("\n")}`);
  parts.push(footer);
  return { event: downgraded ? "COMMENT" : EVENT[review.verdict], body: parts.join("\n\n"), comments: inline, moved: outside.length };
}

export async function postReview(client: GitHubClient, where: RepoCoords, pullNumber: number, commitId: string, plan: PlannedReview): Promise<{ id: number; htmlUrl: string }> {
  const { data } = await client.rest.pulls.createReview({ ...where, pull_number: pullNumber, commit_id: commitId, body: fitBody(plan.body), event: plan.event, comments: plan.comments });
  return { id: data.id, htmlUrl: data.html_url };
}

/** GitHub's 422 for a review by the pull request's author ("Can not approve your own pull request"). */
export function isOwnReviewRefusal(error: unknown): boolean {
  const e = error as { status?: number; message?: string; response?: { data?: unknown } };
  return e.status === 422 && /own pull request/i.test(`${e.message ?? ""} ${JSON.stringify(e.response?.data ?? "")}`);
}

/**
 * Posts the review; when GitHub still refuses it as the author's own (the author was not known
 * beforehand), posts it once more as the COMMENT `asComment` plans. Returns what was posted.
 */
export async function postReviewOrComment(
  client: GitHubClient,
  where: RepoCoords,
  pullNumber: number,
  commitId: string,
  plan: PlannedReview,
  asComment: () => PlannedReview,
): Promise<{ id: number; htmlUrl: string; plan: PlannedReview }> {
  try {
    return { ...(await postReview(client, where, pullNumber, commitId, plan)), plan };
  } catch (error) {
    if (plan.event === "COMMENT" || !isOwnReviewRefusal(error)) throw error;
    const comment = asComment();
    return { ...(await postReview(client, where, pullNumber, commitId, comment)), plan: comment };
  }
}
