// Issues, issue comments, labels and assignees. Issues and PRs share numbers; PRs show up here too.
import { z } from "zod";
import { createComment, editComment } from "../ops.ts";
import { HttpError, DOCS, intParam, json, notFound, paginate, parseBody, type Ctx, type Route } from "../router.ts";
import { imageHostOf } from "../images.ts";
import { serializeComment, serializeIssue, serializeLabel, serializePullAsIssue, type Json } from "../serialize.ts";
import { nowIso, type RepoRecord } from "../state.ts";
import type { AccessLevel, Comment, Issue, Pull } from "../types.ts";

const read: Array<[string, AccessLevel]> = [
  ["issues", "read"],
  ["pull_requests", "read"],
];
const write: Array<[string, AccessLevel]> = [
  ["issues", "write"],
  ["pull_requests", "write"],
];

function repoOf(ctx: Ctx): RepoRecord {
  if (!ctx.repo) throw notFound();
  return ctx.repo;
}

function target(ctx: Ctx): Issue | Pull {
  const x = ctx.store.issueLike(repoOf(ctx).fullName, intParam(ctx, "issue_number"));
  if (!x) throw notFound();
  return x.kind === "issue" ? x.issue : x.pull;
}

function serializeTarget(ctx: Ctx, x: Issue | Pull): unknown {
  return "head" in x ? serializePullAsIssue(ctx.store, x) : serializeIssue(ctx.store, x);
}

/**
 * The full media type asked for (`application/vnd.github.full+json`, or `…v3.full` as Octokit's
 * `mediaType: { format: "full" }` spells it): body_html and body_text join body, as GitHub sends them.
 */
function withFullBody(ctx: Ctx, serialized: Json, body: string | null): Json {
  if (!/application\/vnd\.github(\.v3)?\.full\b/.test(String(ctx.headers.accept ?? ""))) return serialized;
  return { ...serialized, body_html: body === null ? null : imageHostOf(ctx.store).renderHtml(body), body_text: body };
}

function commentOf(ctx: Ctx): Comment {
  const id = intParam(ctx, "comment_id");
  const c = ctx.store.state.comments.find((x) => x.id === id && x.repo === repoOf(ctx).fullName);
  if (!c) throw notFound();
  return c;
}

const commentBody = z.object({ body: z.string().min(1) });
const labelsBody = z.union([
  z.array(z.string()),
  z.object({ labels: z.array(z.union([z.string(), z.object({ name: z.string() })])) }),
]);

function labelNames(ctx: Ctx): string[] {
  const b = parseBody(labelsBody, ctx);
  const list = Array.isArray(b) ? b : b.labels;
  return list.map((l) => (typeof l === "string" ? l : l.name));
}

function setLabels(ctx: Ctx, x: Issue | Pull, names: string[], replace: boolean): void {
  const at = nowIso();
  if (replace) {
    for (const old of x.labels.filter((l) => !names.includes(l))) {
      ctx.store.state.labels.push({ repo: x.repo, issueNumber: x.number, name: old, action: "removed", at });
    }
    x.labels = x.labels.filter((l) => names.includes(l));
  }
  for (const n of names) {
    if (x.labels.includes(n)) continue;
    x.labels.push(n);
    ctx.store.state.labels.push({ repo: x.repo, issueNumber: x.number, name: n, action: "added", at });
  }
  x.updatedAt = at;
}

const issuePatch = z.object({
  title: z.string().optional(),
  body: z.string().nullable().optional(),
  state: z.enum(["open", "closed"]).optional(),
  labels: z.array(z.union([z.string(), z.object({ name: z.string() })])).optional(),
  assignees: z.array(z.string()).optional(),
  state_reason: z.string().nullable().optional(),
});

export const issueRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/issues/:issue_number",
    auth: "installation",
    perms: read,
    handler: (ctx) => {
      const x = target(ctx);
      return json(200, withFullBody(ctx, serializeTarget(ctx, x) as Json, x.body));
    },
  },
  {
    method: "PATCH",
    pattern: "/repos/:owner/:repo/issues/:issue_number",
    auth: "installation",
    perms: write,
    handler: (ctx) => {
      const x = target(ctx);
      const b = parseBody(issuePatch, ctx);
      if (b.title !== undefined) x.title = b.title;
      if (b.body !== undefined) x.body = b.body;
      if (b.state !== undefined) {
        x.state = b.state;
        if ("closedAt" in x) x.closedAt = b.state === "closed" ? nowIso() : null;
      }
      if (b.labels) setLabels(ctx, x, b.labels.map((l) => (typeof l === "string" ? l : l.name)), true);
      if (b.assignees) x.assignees = [...b.assignees];
      x.updatedAt = nowIso();
      return json(200, serializeTarget(ctx, x));
    },
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/issues/:issue_number/comments",
    auth: "installation",
    perms: read,
    handler: (ctx) => {
      const x = target(ctx);
      const all = ctx.store.state.comments.filter((c) => c.repo === x.repo && c.issueNumber === x.number);
      const { page, headers } = paginate(ctx, all);
      return json(
        200,
        page.map((c) => withFullBody(ctx, serializeComment(ctx.store, c), c.body)),
        headers,
      );
    },
  },
  {
    method: "POST",
    pattern: "/repos/:owner/:repo/issues/:issue_number/comments",
    auth: "installation",
    perms: write,
    handler: (ctx) => {
      const x = target(ctx);
      const { body } = parseBody(commentBody, ctx);
      const c = createComment(ctx.store, repoOf(ctx), x.number, body, ctx.actor);
      return json(201, serializeComment(ctx.store, c), { location: `${ctx.store.baseUrl}/api/v3/repos/${c.repo}/issues/comments/${c.id}` });
    },
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/issues/comments/:comment_id",
    auth: "installation",
    perms: read,
    handler: (ctx) => json(200, serializeComment(ctx.store, commentOf(ctx))),
  },
  {
    method: "PATCH",
    pattern: "/repos/:owner/:repo/issues/comments/:comment_id",
    auth: "installation",
    perms: write,
    handler: (ctx) => {
      const c = commentOf(ctx);
      const { body } = parseBody(commentBody, ctx);
      editComment(c, body);
      return json(200, serializeComment(ctx.store, c));
    },
  },
  {
    method: "DELETE",
    pattern: "/repos/:owner/:repo/issues/comments/:comment_id",
    auth: "installation",
    perms: write,
    handler: (ctx) => {
      const c = commentOf(ctx);
      const s = ctx.store.state;
      s.comments.splice(s.comments.indexOf(c), 1);
      s.deletedComments.push(c);
      return { status: 204 };
    },
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/issues/:issue_number/labels",
    auth: "installation",
    perms: read,
    handler: (ctx) => {
      const x = target(ctx);
      return json(
        200,
        x.labels.map((l) => serializeLabel(ctx.store, x.repo, l)),
      );
    },
  },
  {
    method: "POST",
    pattern: "/repos/:owner/:repo/issues/:issue_number/labels",
    auth: "installation",
    perms: write,
    handler: (ctx) => {
      const x = target(ctx);
      setLabels(ctx, x, labelNames(ctx), false);
      return json(
        200,
        x.labels.map((l) => serializeLabel(ctx.store, x.repo, l)),
      );
    },
  },
  {
    method: "PUT",
    pattern: "/repos/:owner/:repo/issues/:issue_number/labels",
    auth: "installation",
    perms: write,
    handler: (ctx) => {
      const x = target(ctx);
      setLabels(ctx, x, labelNames(ctx), true);
      return json(
        200,
        x.labels.map((l) => serializeLabel(ctx.store, x.repo, l)),
      );
    },
  },
  {
    method: "DELETE",
    pattern: "/repos/:owner/:repo/issues/:issue_number/labels/:name",
    auth: "installation",
    perms: write,
    handler: (ctx) => {
      const x = target(ctx);
      const name = ctx.params["name"] ?? "";
      if (!x.labels.includes(name)) {
        throw new HttpError(404, { message: "Label does not exist", documentation_url: DOCS, status: "404" });
      }
      x.labels = x.labels.filter((l) => l !== name);
      ctx.store.state.labels.push({ repo: x.repo, issueNumber: x.number, name, action: "removed", at: nowIso() });
      return json(
        200,
        x.labels.map((l) => serializeLabel(ctx.store, x.repo, l)),
      );
    },
  },
  {
    method: "POST",
    pattern: "/repos/:owner/:repo/issues/:issue_number/assignees",
    auth: "installation",
    perms: write,
    handler: (ctx) => {
      const x = target(ctx);
      const { assignees } = parseBody(z.object({ assignees: z.array(z.string()) }), ctx);
      for (const a of assignees) if (!x.assignees.includes(a)) x.assignees.push(a);
      return json(201, serializeTarget(ctx, x));
    },
  },
];
