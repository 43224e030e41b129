// Repository metadata, collaborator permissions, branches and the contents API (served from the bare repo).
import { lsTree, objectSha, objectType, readBlob, revParse } from "../git.ts";
import { HttpError, DOCS, json, notFound, type Ctx, type Reply, type Route } from "../router.ts";
import { apiBase, serializeRepo, serializeUser } from "../serialize.ts";
import type { RepoRecord } from "../state.ts";
import type { Permission } from "../types.ts";

function repoOf(ctx: Ctx): RepoRecord {
  if (!ctx.repo) throw notFound();
  return ctx.repo;
}

const ROLE_TO_PERMISSION: Record<Permission, string> = {
  admin: "admin",
  maintain: "write",
  write: "write",
  triage: "read",
  read: "read",
  none: "none",
};

function rolePermissions(p: Permission): Record<string, boolean> {
  const rank = ["none", "read", "triage", "write", "maintain", "admin"].indexOf(p);
  return { admin: rank >= 5, maintain: rank >= 4, push: rank >= 3, triage: rank >= 2, pull: rank >= 1 };
}

function contentEntry(ctx: Ctx, repo: RepoRecord, ref: string, path: string, type: string, sha: string, size: number): Record<string, unknown> {
  const api = `${apiBase(ctx.store)}/repos/${repo.fullName}`;
  const kind = type === "tree" ? "dir" : type === "commit" ? "submodule" : "file";
  const url = `${api}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const html = `${repo.htmlUrl}/${kind === "dir" ? "tree" : "blob"}/${ref}/${path}`;
  const gitUrl = `${api}/git/${kind === "dir" ? "trees" : "blobs"}/${sha}`;
  return {
    type: kind,
    size: kind === "file" ? size : 0,
    name: path.split("/").pop() ?? path,
    path,
    sha,
    url,
    git_url: gitUrl,
    html_url: html,
    download_url: kind === "file" ? `${ctx.store.baseUrl}/${repo.fullName}/raw/${ref}/${path}` : null,
    _links: { self: url, git: gitUrl, html },
  };
}

async function getContents(ctx: Ctx): Promise<Reply> {
  const repo = repoOf(ctx);
  const ref = ctx.query.get("ref") || repo.defaultBranch;
  const path = (ctx.params["path"] ?? "").replace(/^\/+|\/+$/g, "");
  if (!(await revParse(repo.bareDir, ref))) {
    throw new HttpError(404, { message: `No commit found for the ref ${ref}`, documentation_url: DOCS, status: "404" });
  }
  const type = path === "" ? "tree" : await objectType(repo.bareDir, ref, path);
  if (!type) throw notFound();
  if (type === "tree") {
    const entries = await lsTree(repo.bareDir, ref, path);
    return json(
      200,
      entries.map((e) => contentEntry(ctx, repo, ref, path ? `${path}/${e.path}` : e.path, e.type, e.sha, e.size)),
    );
  }
  const data = (await readBlob(repo.bareDir, ref, path)) ?? Buffer.alloc(0);
  const accept = String(ctx.headers["accept"] ?? "");
  if (/\.raw\b/.test(accept)) {
    return { status: 200, raw: { contentType: "text/plain; charset=utf-8", data }, headers: { "x-github-media-type": "github.v3; param=raw" } };
  }
  const sha = (await objectSha(repo.bareDir, ref, path)) ?? "";
  const b64 = data.toString("base64").replace(/(.{60})/g, "$1\n");
  return json(200, {
    ...contentEntry(ctx, repo, ref, path, type, sha, data.length),
    content: b64.endsWith("\n") ? b64 : `${b64}\n`,
    encoding: "base64",
  });
}

export const repoRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/repos/:owner/:repo",
    auth: "installation",
    perms: [["metadata", "read"]],
    handler: (ctx) => json(200, serializeRepo(ctx.store, repoOf(ctx))),
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/collaborators/:username/permission",
    auth: "installation",
    perms: [["metadata", "read"]],
    handler: (ctx) => {
      const repo = repoOf(ctx);
      const login = ctx.params["username"] ?? "";
      const role = ctx.store.permissionOf(repo, login);
      const user = ctx.store.user(login);
      return json(200, {
        permission: ROLE_TO_PERMISSION[role],
        role_name: role,
        user: { ...serializeUser(ctx.store, user), permissions: rolePermissions(role), role_name: role },
      });
    },
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/branches/:branch",
    auth: "installation",
    perms: [["contents", "read"]],
    handler: async (ctx) => {
      const repo = repoOf(ctx);
      const branch = ctx.params["branch"] ?? "";
      const sha = await revParse(repo.bareDir, `refs/heads/${branch}`);
      if (!sha) throw new HttpError(404, { message: "Branch not found", documentation_url: DOCS, status: "404" });
      const api = `${apiBase(ctx.store)}/repos/${repo.fullName}`;
      return json(200, {
        name: branch,
        commit: { sha, url: `${api}/commits/${sha}` },
        _links: { self: `${api}/branches/${branch}`, html: `${repo.htmlUrl}/tree/${branch}` },
        protected: repo.protectedBranches.has(branch),
        protection: repo.protectedBranches.has(branch)
          ? { enabled: true, required_status_checks: { enforcement_level: "non_admins", contexts: [], checks: [] } }
          : { enabled: false, required_status_checks: { enforcement_level: "off", contexts: [], checks: [] } },
        protection_url: `${api}/branches/${branch}/protection`,
      });
    },
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/contents",
    auth: "installation",
    perms: [["contents", "read"]],
    handler: getContents,
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/contents/*path",
    auth: "installation",
    perms: [["contents", "read"]],
    handler: getContents,
  },
];
