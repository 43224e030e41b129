// Reactions on issue comments, PR review comments and issue/PR bodies.
import { z } from "zod";
import { intParam, json, notFound, paginate, parseBody, type Ctx, type Route } from "../router.ts";
import { serializeReaction } from "../serialize.ts";
import { nowIso } from "../state.ts";
import type { AccessLevel, Reaction } from "../types.ts";

const CONTENTS = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"] as const;
const reactionBody = z.object({ content: z.enum(CONTENTS) });

const read: Array<[string, AccessLevel]> = [
  ["issues", "read"],
  ["pull_requests", "read"],
];
const write: Array<[string, AccessLevel]> = [
  ["issues", "write"],
  ["pull_requests", "write"],
];

interface Subject {
  subject: Reaction["subject"];
  commentId: number | null;
  issueNumber: number | null;
}

function subjectOf(ctx: Ctx, subject: Reaction["subject"]): Subject {
  const repo = ctx.repo?.fullName ?? "";
  if (subject === "issue") {
    const n = intParam(ctx, "issue_number");
    if (!ctx.store.issueLike(repo, n)) throw notFound();
    return { subject, commentId: null, issueNumber: n };
  }
  const id = intParam(ctx, "comment_id");
  const list = subject === "issue_comment" ? ctx.store.state.comments : ctx.store.state.reviewComments;
  if (!list.some((c) => c.id === id && c.repo === repo)) throw notFound();
  return { subject, commentId: id, issueNumber: null };
}

function matches(r: Reaction, s: Subject): boolean {
  return r.subject === s.subject && r.commentId === s.commentId && r.issueNumber === s.issueNumber;
}

function reactionRoutes(prefix: string, subject: Reaction["subject"]): Route[] {
  return [
    {
      method: "POST",
      pattern: `${prefix}/reactions`,
      auth: "installation",
      perms: write,
      handler: (ctx) => {
        const s = subjectOf(ctx, subject);
        const { content } = parseBody(reactionBody, ctx);
        const existing = ctx.store.state.reactions.find((r) => matches(r, s) && r.content === content && r.user.id === ctx.actor.id);
        if (existing) return json(200, serializeReaction(ctx.store, existing));
        const r: Reaction = { id: ctx.store.id(), repo: ctx.repo?.fullName ?? "", ...s, content, user: ctx.actor, createdAt: nowIso() };
        ctx.store.state.reactions.push(r);
        return json(201, serializeReaction(ctx.store, r));
      },
    },
    {
      method: "GET",
      pattern: `${prefix}/reactions`,
      auth: "installation",
      perms: read,
      handler: (ctx) => {
        const s = subjectOf(ctx, subject);
        const content = ctx.query.get("content");
        const all = ctx.store.state.reactions.filter((r) => matches(r, s) && (!content || r.content === content));
        const { page, headers } = paginate(ctx, all);
        return json(
          200,
          page.map((r) => serializeReaction(ctx.store, r)),
          headers,
        );
      },
    },
    {
      method: "DELETE",
      pattern: `${prefix}/reactions/:reaction_id`,
      auth: "installation",
      perms: write,
      handler: (ctx) => {
        const s = subjectOf(ctx, subject);
        const id = intParam(ctx, "reaction_id");
        const list = ctx.store.state.reactions;
        const idx = list.findIndex((r) => r.id === id && matches(r, s));
        if (idx < 0) throw notFound();
        list.splice(idx, 1);
        return { status: 204 };
      },
    },
  ];
}

export const reactionsRoutes: Route[] = [
  ...reactionRoutes("/repos/:owner/:repo/issues/comments/:comment_id", "issue_comment"),
  ...reactionRoutes("/repos/:owner/:repo/pulls/comments/:comment_id", "pull_request_review_comment"),
  ...reactionRoutes("/repos/:owner/:repo/issues/:issue_number", "issue"),
];
