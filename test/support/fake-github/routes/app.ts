// App-level (JWT) endpoints and installation-token housekeeping.
import { z } from "zod";
import { HttpError, DOCS, intParam, json, notFound, paginate, parseBody, type Ctx, type Route } from "../router.ts";
import { serializeApp, serializeInstallation, serializeRepo } from "../serialize.ts";
import { newInstallationToken, type RepoRecord } from "../state.ts";
import type { IssuedToken } from "../types.ts";

const LEVEL: Record<string, number> = { read: 1, write: 2, admin: 3 };

const accessTokenBody = z.object({
  repositories: z.array(z.string()).optional(),
  repository_ids: z.array(z.number().int()).optional(),
  permissions: z.record(z.string(), z.enum(["read", "write", "admin"])).optional(),
});

/** The installation named by the path; an id the app has no installation with is 404. */
function installationOf(ctx: Ctx): number {
  const id = intParam(ctx, "installation_id");
  if (!ctx.store.installations.has(id)) throw notFound();
  return id;
}

function mintToken(ctx: Ctx, installationId: number): IssuedToken {
  const { store } = ctx;
  const body = parseBody(accessTokenBody, ctx);
  let repos: RepoRecord[] | null = null;
  if (body.repositories !== undefined || body.repository_ids !== undefined) {
    repos = [];
    const missing: string[] = [];
    // Only this installation's repositories can be named: another installation's is "not accessible".
    const own = store.reposOf(installationId);
    for (const name of body.repositories ?? []) {
      const hits = own.filter((r) =>
        name.includes("/") ? r.fullName.toLowerCase() === name.toLowerCase() : r.name.toLowerCase() === name.toLowerCase(),
      );
      if (!hits.length) missing.push(name);
      repos.push(...hits);
    }
    for (const id of body.repository_ids ?? []) {
      const r = own.find((x) => x.id === id);
      if (!r) missing.push(String(id));
      else repos.push(r);
    }
    if (missing.length) {
      throw new HttpError(422, {
        message: "There is at least one repository that does not exist or is not accessible to the parent installation.",
        documentation_url: DOCS,
        status: "422",
      });
    }
  }
  let permissions: Record<string, string> = { ...store.app.permissions };
  if (body.permissions) {
    for (const [name, level] of Object.entries(body.permissions)) {
      const granted = store.app.permissions[name];
      if (!granted || (LEVEL[granted] ?? 0) < (LEVEL[level] ?? 9)) {
        throw new HttpError(422, {
          message: "The permissions requested are not granted to this installation.",
          documentation_url: DOCS,
          status: "422",
        });
      }
    }
    permissions = { ...body.permissions };
    if (store.app.permissions["metadata"] && !permissions["metadata"]) permissions["metadata"] = "read";
  }
  const createdAt = new Date();
  const token: IssuedToken = {
    token: newInstallationToken(),
    installationId,
    repositories: repos ? [...new Set(repos.map((r) => r.fullName))] : null,
    permissions,
    expiresAt: new Date(createdAt.getTime() + store.tokenTtlMs).toISOString(),
    createdAt: createdAt.toISOString(),
    revoked: false,
  };
  store.state.tokens.push(token);
  return token;
}

export const appRoutes: Route[] = [
  { method: "GET", pattern: "/app", auth: "app", handler: (ctx) => json(200, serializeApp(ctx.store)) },
  {
    method: "GET",
    pattern: "/app/installations",
    auth: "app",
    handler: (ctx) => {
      const { page, headers } = paginate(ctx, [...ctx.store.installations.keys()]);
      return json(200, page.map((id) => serializeInstallation(ctx.store, id)), headers);
    },
  },
  {
    method: "GET",
    pattern: "/app/installations/:installation_id",
    auth: "app",
    handler: (ctx) => json(200, serializeInstallation(ctx.store, installationOf(ctx))),
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/installation",
    auth: "app",
    handler: (ctx) => {
      const repo = ctx.store.repo(`${ctx.params["owner"]}/${ctx.params["repo"]}`);
      if (!repo) throw notFound();
      return json(200, serializeInstallation(ctx.store, repo.installationId));
    },
  },
  {
    method: "POST",
    pattern: "/app/installations/:installation_id/access_tokens",
    auth: "app",
    handler: (ctx) => {
      const t = mintToken(ctx, installationOf(ctx));
      return json(201, {
        token: t.token,
        expires_at: t.expiresAt,
        permissions: t.permissions,
        repository_selection: t.repositories ? "selected" : "all",
        ...(t.repositories
          ? { repositories: t.repositories.map((n) => serializeRepo(ctx.store, ctx.store.mustRepo(n))) }
          : {}),
      });
    },
  },
  {
    method: "GET",
    pattern: "/installation/repositories",
    auth: "installation",
    handler: (ctx) => {
      if (ctx.auth.kind !== "installation") throw notFound();
      const t = ctx.auth.token;
      const all = ctx.store.reposOf(t.installationId).filter((r) => !t.repositories || t.repositories.includes(r.fullName));
      const { page, headers } = paginate(ctx, all);
      return json(
        200,
        {
          total_count: all.length,
          repository_selection: t.repositories ? "selected" : "all",
          repositories: page.map((r) => serializeRepo(ctx.store, r)),
        },
        headers,
      );
    },
  },
  {
    method: "DELETE",
    pattern: "/installation/token",
    auth: "installation",
    handler: (ctx) => {
      if (ctx.auth.kind === "installation") ctx.auth.token.revoked = true;
      return { status: 204 };
    },
  },
];
