// Pull requests, their files/commits, reviews and review comments.
import { z } from "zod";
import { diffFiles, gitLog, mergeBase, revParse } from "../git.ts";
import { addReviewComment, createPull, createReview, editComment, validateReviewComments } from "../ops.ts";
import { intParam, json, notFound, paginate, parseBody, type Ctx, type Route } from "../router.ts";
import { apiBase, serializePull, serializeReview, serializeReviewComment, serializeUser } from "../serialize.ts";
import { nowIso, type RepoRecord } from "../state.ts";
import type { AccessLevel, Pull, ReviewComment } from "../types.ts";
import { headRefOf } from "../pull-head.ts";

const read: Array<[string, AccessLevel]> = [["pull_requests", "read"]];
const write: Array<[string, AccessLevel]> = [["pull_requests", "write"]];

function repoOf(ctx: Ctx): RepoRecord {
  if (!ctx.repo) throw notFound();
  return ctx.repo;
}

function pullOf(ctx: Ctx): Pull {
  const p = ctx.store.pull(repoOf(ctx).fullName, intParam(ctx, "pull_number"));
  if (!p) throw notFound();
  return p;
}

function reviewCommentOf(ctx: Ctx): ReviewComment {
  const id = intParam(ctx, "comment_id");
  const c = ctx.store.state.reviewComments.find((x) => x.id === id && x.repo === repoOf(ctx).fullName);
  if (!c) throw notFound();
  return c;
}

const createPullBody = z.object({
  title: z.string().min(1),
  head: z.string().min(1),
  base: z.string().min(1),
  body: z.string().nullable().optional(),
  draft: z.boolean().optional(),
  maintainer_can_modify: z.boolean().optional(),
  head_repo: z.string().optional(),
});

const patchPullBody = z.object({
  title: z.string().optional(),
  body: z.string().nullable().optional(),
  state: z.enum(["open", "closed"]).optional(),
  base: z.string().optional(),
  maintainer_can_modify: z.boolean().optional(),
});

const reviewCommentInput = z.object({
  path: z.string(),
  body: z.string(),
  line: z.number().int().optional(),
  side: z.enum(["LEFT", "RIGHT"]).optional(),
  start_line: z.number().int().optional(),
  start_side: z.enum(["LEFT", "RIGHT"]).optional(),
  position: z.number().int().optional(),
});

const reviewBody = z.object({
  body: z.string().optional(),
  event: z.enum(["APPROVE", "REQUEST_CHANGES", "COMMENT"]).optional(),
  commit_id: z.string().optional(),
  comments: z.array(reviewCommentInput).optional(),
});

const singleReviewComment = reviewCommentInput.extend({
  commit_id: z.string().optional(),
  in_reply_to: z.number().int().optional(),
  subject_type: z.enum(["line", "file"]).optional(),
});

function toNewComment(c: z.infer<typeof reviewCommentInput>) {
  return { path: c.path, body: c.body, line: c.line, side: c.side, startLine: c.start_line, position: c.position };
}

export const pullRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/pulls",
    auth: "installation",
    perms: read,
    handler: async (ctx) => {
      const repo = repoOf(ctx);
      const state = ctx.query.get("state") ?? "open";
      const head = ctx.query.get("head");
      const base = ctx.query.get("base");
      const all = ctx.store.state.pulls
        .filter((p) => p.repo === repo.fullName)
        .filter((p) => state === "all" || p.state === state)
        .filter((p) => {
          if (!head) return true;
          const [owner, branch] = head.includes(":") ? head.split(":", 2) : [repo.owner, head];
          return owner?.toLowerCase() === (p.headRepo?.split("/")[0] ?? repo.owner).toLowerCase() && p.head === branch;
        })
        .filter((p) => !base || p.base === base)
        .sort((a, b) => b.number - a.number);
      const { page, headers } = paginate(ctx, all);
      return json(200, await Promise.all(page.map((p) => serializePull(ctx.store, p))), headers);
    },
  },
  {
    method: "POST",
    pattern: "/repos/:owner/:repo/pulls",
    auth: "installation",
    perms: write,
    handler: async (ctx) => {
      const b = parseBody(createPullBody, ctx);
      const p = await createPull(ctx.store, repoOf(ctx), { title: b.title, head: b.head, base: b.base, body: b.body ?? null, draft: b.draft ?? false, user: ctx.actor });
      return json(201, await serializePull(ctx.store, p), { location: `${apiBase(ctx.store)}/repos/${p.repo}/pulls/${p.number}` });
    },
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/pulls/:pull_number",
    auth: "installation",
    perms: read,
    handler: async (ctx) => json(200, await serializePull(ctx.store, pullOf(ctx))),
  },
  {
    method: "PATCH",
    pattern: "/repos/:owner/:repo/pulls/:pull_number",
    auth: "installation",
    perms: write,
    handler: async (ctx) => {
      const p = pullOf(ctx);
      const b = parseBody(patchPullBody, ctx);
      if (b.title !== undefined) p.title = b.title;
      if (b.body !== undefined) p.body = b.body;
      if (b.base !== undefined) p.base = b.base;
      if (b.state !== undefined) {
        p.state = b.state;
        p.closedAt = b.state === "closed" ? nowIso() : null;
      }
      p.updatedAt = nowIso();
      return json(200, await serializePull(ctx.store, p));
    },
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/pulls/:pull_number/files",
    auth: "installation",
    perms: read,
    handler: async (ctx) => {
      const repo = repoOf(ctx);
      const p = pullOf(ctx);
      const files = await diffFiles(repo.bareDir, `refs/heads/${p.base}`, headRefOf(p));
      const headSha = (await revParse(repo.bareDir, headRefOf(p))) ?? "";
      const { page, headers } = paginate(ctx, files);
      const api = `${apiBase(ctx.store)}/repos/${repo.fullName}`;
      return json(
        200,
        page.map((f) => ({
          sha: f.sha,
          filename: f.filename,
          status: f.status,
          additions: f.additions,
          deletions: f.deletions,
          changes: f.additions + f.deletions,
          blob_url: `${repo.htmlUrl}/blob/${headSha}/${f.filename}`,
          raw_url: `${repo.htmlUrl}/raw/${headSha}/${f.filename}`,
          contents_url: `${api}/contents/${f.filename}?ref=${headSha}`,
          patch: f.patch,
        })),
        headers,
      );
    },
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/pulls/:pull_number/commits",
    auth: "installation",
    perms: read,
    handler: async (ctx) => {
      const repo = repoOf(ctx);
      const p = pullOf(ctx);
      const head = headRefOf(p);
      const mb = (await mergeBase(repo.bareDir, `refs/heads/${p.base}`, head)) ?? `refs/heads/${p.base}`;
      const log = (await gitLog(repo.bareDir, `${mb}..${head}`)).reverse();
      const { page, headers } = paginate(ctx, log);
      return json(
        200,
        page.map((c) => ({
          sha: c.sha,
          node_id: "",
          commit: { message: c.body ? `${c.subject}\n\n${c.body}` : c.subject, author: { name: c.author } },
          url: `${apiBase(ctx.store)}/repos/${repo.fullName}/commits/${c.sha}`,
          html_url: `${repo.htmlUrl}/commit/${c.sha}`,
        })),
        headers,
      );
    },
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/pulls/:pull_number/reviews",
    auth: "installation",
    perms: read,
    handler: (ctx) => {
      const p = pullOf(ctx);
      const all = ctx.store.state.reviews.filter((r) => r.repo === p.repo && r.pullNumber === p.number);
      const { page, headers } = paginate(ctx, all);
      return json(
        200,
        page.map((r) => serializeReview(ctx.store, r)),
        headers,
      );
    },
  },
  {
    method: "POST",
    pattern: "/repos/:owner/:repo/pulls/:pull_number/reviews",
    auth: "installation",
    perms: write,
    handler: async (ctx) => {
      const p = pullOf(ctx);
      const b = parseBody(reviewBody, ctx);
      const review = await createReview(ctx.store, repoOf(ctx), p, {
        body: b.body,
        event: b.event,
        commitId: b.commit_id,
        comments: b.comments?.map(toNewComment),
        user: ctx.actor,
      });
      return json(200, serializeReview(ctx.store, review));
    },
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/pulls/:pull_number/comments",
    auth: "installation",
    perms: read,
    handler: (ctx) => {
      const p = pullOf(ctx);
      const all = ctx.store.state.reviewComments.filter((c) => c.repo === p.repo && c.pullNumber === p.number);
      const { page, headers } = paginate(ctx, all);
      return json(
        200,
        page.map((c) => serializeReviewComment(ctx.store, c)),
        headers,
      );
    },
  },
  {
    method: "POST",
    pattern: "/repos/:owner/:repo/pulls/:pull_number/comments",
    auth: "installation",
    perms: write,
    handler: async (ctx) => {
      const repo = repoOf(ctx);
      const p = pullOf(ctx);
      const b = parseBody(singleReviewComment, ctx);
      if (b.in_reply_to !== undefined) {
        const parent = ctx.store.state.reviewComments.find((c) => c.id === b.in_reply_to && c.pullNumber === p.number && c.repo === p.repo);
        if (!parent) throw notFound();
        const rc = await addReviewComment(ctx.store, repo, p, {
          path: parent.path,
          line: parent.line ?? undefined,
          side: parent.side,
          startLine: parent.startLine ?? undefined,
          body: b.body,
          user: ctx.actor,
          inReplyToId: parent.inReplyToId ?? parent.id,
        });
        return json(201, serializeReviewComment(ctx.store, rc));
      }
      const c = toNewComment(b);
      await validateReviewComments(ctx.store, repo, p, [c]);
      const rc = await addReviewComment(ctx.store, repo, p, { ...c, user: ctx.actor });
      return json(201, serializeReviewComment(ctx.store, rc));
    },
  },
  {
    method: "POST",
    pattern: "/repos/:owner/:repo/pulls/:pull_number/comments/:comment_id/replies",
    auth: "installation",
    perms: write,
    handler: async (ctx) => {
      const p = pullOf(ctx);
      const parent = reviewCommentOf(ctx);
      if (parent.pullNumber !== p.number) throw notFound();
      const { body } = parseBody(z.object({ body: z.string().min(1) }), ctx);
      const rc = await addReviewComment(ctx.store, repoOf(ctx), p, {
        path: parent.path,
        line: parent.line ?? undefined,
        side: parent.side,
        startLine: parent.startLine ?? undefined,
        body,
        user: ctx.actor,
        inReplyToId: parent.inReplyToId ?? parent.id,
      });
      return json(201, serializeReviewComment(ctx.store, rc));
    },
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/pulls/comments/:comment_id",
    auth: "installation",
    perms: read,
    handler: (ctx) => json(200, serializeReviewComment(ctx.store, reviewCommentOf(ctx))),
  },
  {
    method: "PATCH",
    pattern: "/repos/:owner/:repo/pulls/comments/:comment_id",
    auth: "installation",
    perms: write,
    handler: (ctx) => {
      const c = reviewCommentOf(ctx);
      const { body } = parseBody(z.object({ body: z.string().min(1) }), ctx);
      editComment(c, body);
      return json(200, serializeReviewComment(ctx.store, c));
    },
  },
  {
    method: "POST",
    pattern: "/repos/:owner/:repo/pulls/:pull_number/requested_reviewers",
    auth: "installation",
    perms: write,
    handler: async (ctx) => {
      const p = pullOf(ctx);
      const { reviewers } = parseBody(z.object({ reviewers: z.array(z.string()).optional(), team_reviewers: z.array(z.string()).optional() }), ctx);
      for (const r of reviewers ?? []) if (!p.requestedReviewers.includes(r)) p.requestedReviewers.push(r);
      const out = await serializePull(ctx.store, p);
      return json(201, { ...out, requested_reviewers: p.requestedReviewers.map((r) => serializeUser(ctx.store, ctx.store.user(r))) });
    },
  },
];
