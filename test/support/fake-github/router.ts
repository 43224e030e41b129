// Table-driven router for the REST API under /api/v3.
import type { IncomingHttpHeaders } from "node:http";
import type { z } from "zod";
import { coversRepo, hasPermission, scopeProblem, type AuthResult } from "./auth.ts";
import type { RepoRecord, Store } from "./state.ts";
import type { AccessLevel, User } from "./types.ts";

export const DOCS = "https://docs.github.com/rest";

export interface Ctx {
  store: Store;
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
  auth: AuthResult;
  /** Set for routes with :owner/:repo. */
  repo: RepoRecord | undefined;
  /** The user acting: the app's bot user for installation tokens. */
  actor: User;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Sent verbatim instead of JSON. */
  raw?: { contentType: string; data: Buffer | string };
  headers?: Record<string, string>;
  /** If set, the request is also recorded in `unexpected` with this reason. */
  unexpected?: string;
}

export interface Route {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Path below /api/v3; ":name" matches one segment, "*name" the (possibly empty) rest. */
  pattern: string;
  auth: "app" | "installation";
  /** Any one of these permissions suffices (installation routes). */
  perms?: Array<[string, AccessLevel]>;
  handler(ctx: Ctx): Reply | Promise<Reply>;
}

export class HttpError extends Error {
  status: number;
  body: unknown;
  unexpected: string | undefined;
  constructor(status: number, body: unknown, unexpected?: string) {
    super(typeof body === "object" && body !== null && "message" in body ? String((body as { message: unknown }).message) : `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.unexpected = unexpected;
  }
}

export function notFound(): HttpError {
  return new HttpError(404, { message: "Not Found", documentation_url: DOCS, status: "404" });
}

export function validationFailed(errors: unknown[], message = "Validation Failed"): HttpError {
  return new HttpError(422, { message, errors, documentation_url: DOCS, status: "422" });
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return headers ? { status, body, headers } : { status, body };
}

/** Validates a JSON body; a malformed body is a client bug, so it is also recorded as unexpected. */
export function parseBody<S extends z.ZodType>(schema: S, ctx: Ctx): z.infer<S> {
  const r = schema.safeParse(ctx.body ?? {});
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
    throw new HttpError(
      422,
      { message: `Invalid request.\n\n${detail}`, documentation_url: DOCS, status: "422" },
      `invalid body: ${detail}`,
    );
  }
  const text = (r.data as { body?: unknown } | null)?.body;
  if (typeof text === "string" && text.length > BODY_MAX_CHARS) {
    // GitHub's answer to an over-long issue/PR/comment/review body. The bot must never send one.
    throw new HttpError(
      422,
      { message: "Validation Failed", errors: [{ resource: bodyResource(ctx.path), code: "custom", field: "body", message: `body is too long (maximum is ${BODY_MAX_CHARS} characters)` }], documentation_url: DOCS, status: "422" },
      `body of ${text.length} characters (GitHub's maximum is ${BODY_MAX_CHARS})`,
    );
  }
  return r.data;
}

/** GitHub refuses issue, pull request, comment and review bodies longer than this. */
export const BODY_MAX_CHARS = 65_536;

function bodyResource(path: string): string {
  if (/\/pulls\/\d+\/reviews/.test(path)) return "PullRequestReview";
  if (/\/pulls\/(\d+\/)?comments/.test(path)) return "PullRequestReviewComment";
  if (/\/pulls/.test(path)) return "PullRequest";
  if (/\/comments/.test(path)) return "IssueComment";
  return "Issue";
}

export function intParam(ctx: Ctx, name: string): number {
  const v = ctx.params[name] ?? "";
  if (!/^\d+$/.test(v)) throw notFound();
  return Number(v);
}

interface Compiled {
  route: Route;
  segments: string[];
}

export class Router {
  private compiled: Compiled[];

  constructor(routes: Route[]) {
    this.compiled = routes.map((route) => ({ route, segments: route.pattern.split("/").filter(Boolean) }));
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    const raw = path.split("/").filter(Boolean);
    for (const c of this.compiled) {
      if (c.route.method !== method) continue;
      const params = matchSegments(c.segments, raw);
      if (params) return { route: c.route, params };
    }
    return undefined;
  }
}

function decode(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

function matchSegments(pattern: string[], raw: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? "";
    if (p.startsWith("*")) {
      params[p.slice(1)] = raw.slice(i).map(decode).join("/");
      return params;
    }
    const seg = raw[i];
    if (seg === undefined) return undefined;
    if (p.startsWith(":")) params[p.slice(1)] = decode(seg);
    else if (p !== seg) return undefined;
  }
  return raw.length === pattern.length ? params : undefined;
}

/** Auth, repository and permission checks shared by every route. Throws HttpError. */
export function authorize(route: Route, ctx: Ctx): void {
  const a = ctx.auth;
  if (a.kind === "none") {
    throw new HttpError(401, { message: "Requires authentication", documentation_url: DOCS, status: "401" }, "no Authorization header");
  }
  if (a.kind === "invalid") {
    const message = a.scheme === "jwt" ? "A JSON web token could not be decoded" : "Bad credentials";
    throw new HttpError(401, { message, documentation_url: DOCS, status: "401" }, a.reason);
  }
  if (route.auth === "app" && a.kind !== "jwt") {
    throw new HttpError(
      401,
      { message: "A JSON web token could not be decoded", documentation_url: DOCS, status: "401" },
      "app endpoint needs 'Bearer <JWT>', got an installation token",
    );
  }
  if (route.auth === "installation" && a.kind !== "installation") {
    throw new HttpError(
      401,
      { message: "Bad credentials", documentation_url: DOCS, status: "401" },
      "installation endpoint needs an installation token, got a JWT",
    );
  }
  if (a.kind === "installation") {
    if (ctx.params["owner"] !== undefined && ctx.params["repo"] !== undefined) {
      const fullName = `${ctx.params["owner"]}/${ctx.params["repo"]}`;
      const repo = ctx.store.repo(fullName);
      // A missing repository is an ordinary 404 (e.g. Probot's config lookup in <owner>/.github).
      if (!repo) throw notFound();
      // Another installation's repository is as invisible as one the token was not scoped to.
      if (!coversRepo(a.token, repo)) {
        const e = notFound();
        e.unexpected = scopeProblem(a.token, repo);
        throw e;
      }
      ctx.repo = repo;
    }
    if (route.perms && !route.perms.some(([name, level]) => hasPermission(a.token, name, level))) {
      const need = route.perms.map(([n, l]) => `${n}:${l}`).join(" or ");
      throw new HttpError(
        403,
        { message: "Resource not accessible by integration", documentation_url: DOCS, status: "403" },
        `token lacks ${need} (has ${JSON.stringify(a.token.permissions)})`,
      );
    }
  }
}

/** GitHub-style page/per_page slicing with a Link header (absolute URLs, as octokit's paginate expects). */
export function paginate<T>(ctx: Ctx, items: T[]): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.get("per_page") ?? "30") || 30));
  const pageNo = Math.max(1, Number(ctx.query.get("page") ?? "1") || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const page = items.slice((pageNo - 1) * perPage, pageNo * perPage);
  const link = (n: number, rel: string): string => {
    const q = new URLSearchParams(ctx.query);
    q.set("per_page", String(perPage));
    q.set("page", String(n));
    return `<${ctx.store.baseUrl}/api/v3${ctx.path}?${q.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pageNo > 1) links.push(link(pageNo - 1, "prev"), link(1, "first"));
  if (pageNo < last) links.push(link(pageNo + 1, "next"), link(last, "last"));
  return { page, headers: links.length ? { link: links.join(", ") } : {} };
}
