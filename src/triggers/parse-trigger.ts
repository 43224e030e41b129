import { z } from "zod";
import type { IssueCommentTrigger } from "./types.ts";

/** Only the payload fields we use, validated; everything else GitHub sends is ignored. */
const actorSchema = z.object({ login: z.string(), type: z.string() });

const repositorySchema = z.object({
  id: z.number(),
  name: z.string(),
  full_name: z.string(),
  owner: z.object({ login: z.string() }),
  clone_url: z.string(),
  html_url: z.string(),
  default_branch: z.string(),
  private: z.boolean(),
});

const issueCommentPayloadSchema = z.object({
  action: z.string(),
  installation: z.object({ id: z.number() }),
  repository: repositorySchema,
  sender: actorSchema,
  issue: z.object({
    number: z.number(),
    title: z.string(),
    body: z.string().nullable(),
    html_url: z.string(),
    pull_request: z.unknown().optional(),
  }),
  comment: z.object({ id: z.number(), body: z.string().nullable(), user: actorSchema, html_url: z.string() }),
});

export type ParseResult<T> = { ok: true; trigger: T } | { ok: false; reason: string };

function repoRef(r: z.infer<typeof repositorySchema>) {
  return {
    id: r.id,
    owner: r.owner.login,
    name: r.name,
    fullName: r.full_name,
    cloneUrl: r.clone_url,
    htmlUrl: r.html_url,
    defaultBranch: r.default_branch,
    private: r.private,
  };
}

export function parseIssueComment(deliveryId: string, payload: unknown): ParseResult<IssueCommentTrigger> {
  const parsed = issueCommentPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, reason: `payload is missing ${first?.path.join(".") ?? "fields"} (${first?.message ?? "invalid"})` };
  }
  const p = parsed.data;
  return {
    ok: true,
    trigger: {
      kind: "issue_comment",
      deliveryId,
      installationId: p.installation.id,
      repo: repoRef(p.repository),
      sender: p.sender,
      issue: {
        number: p.issue.number,
        title: p.issue.title,
        body: p.issue.body ?? "",
        isPullRequest: p.issue.pull_request != null,
        htmlUrl: p.issue.html_url,
      },
      comment: { id: p.comment.id, body: p.comment.body ?? "", author: p.comment.user, htmlUrl: p.comment.html_url },
    },
  };
}
