// The Git Data API (blobs, trees, commits, refs), a commit's REST view and a user's profile, on the
// fake's real bare repository. Commits made here with no author, committer or signature of the
// caller's are what GitHub signs for an app: they are recorded and answered as verified; commits
// that came in by a push are not.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { lsTree, runGit } from "../git.ts";
import { HttpError, DOCS, json, notFound, parseBody, validationFailed, type Ctx, type Route } from "../router.ts";
import { apiBase, serializeUser } from "../serialize.ts";
import type { RepoRecord } from "../state.ts";
import type { AccessLevel } from "../types.ts";

const read: Array<[string, AccessLevel]> = [["contents", "read"]];
const write: Array<[string, AccessLevel]> = [["contents", "write"]];
/** Measured on github.com: a blob of 40 MiB (decoded) is refused with a 422. */
export const BLOB_MAX_BYTES = 40 * 1024 * 1024;

function repoOf(ctx: Ctx): RepoRecord {
  if (!ctx.repo) throw notFound();
  return ctx.repo;
}

function unprocessable(message: string): HttpError {
  return new HttpError(422, { message, documentation_url: DOCS, status: "422" });
}

async function plumb(repo: RepoRecord, args: string[], input?: string | Buffer, env?: Record<string, string>): Promise<string> {
  const r = await runGit(["--git-dir", repo.bareDir, ...args], { ...(input !== undefined ? { input } : {}), ...(env ? { env } : {}) });
  if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout.toString("utf8").trim();
}

async function typeOf(repo: RepoRecord, sha: string): Promise<string | null> {
  if (!/^[0-9a-f]{40}$/.test(sha)) return null;
  const r = await runGit(["--git-dir", repo.bareDir, "cat-file", "-t", sha]);
  return r.code === 0 ? r.stdout.toString("utf8").trim() : null;
}

const blobBody = z.object({ content: z.string(), encoding: z.enum(["utf-8", "base64"]).optional() });

async function createBlob(ctx: Ctx) {
  const repo = repoOf(ctx);
  const body = parseBody(blobBody, ctx);
  const data = body.encoding === "base64" ? Buffer.from(body.content, "base64") : Buffer.from(body.content, "utf8");
  if (data.length >= BLOB_MAX_BYTES) throw validationFailed([{ resource: "Blob", code: "too_large", field: "content" }], "content is too large");
  const sha = await plumb(repo, ["hash-object", "-w", "--stdin"], data);
  return json(201, { sha, url: `${apiBase(ctx.store)}/repos/${repo.fullName}/git/blobs/${sha}` });
}

const treeEntry = z.object({
  path: z.string(),
  mode: z.enum(["100644", "100755", "040000", "160000", "120000"]),
  type: z.enum(["blob", "tree", "commit"]),
  sha: z.string().nullable().optional(),
  content: z.string().optional(),
});
const treeBody = z.object({ tree: z.array(treeEntry), base_tree: z.string().optional() });
type TreeInput = z.infer<typeof treeEntry>;

/** GitHub refuses a path with an empty, ".", ".." or ".git" component, or a leading or trailing slash. */
function malformed(path: string): boolean {
  return path.split("/").some((c) => c === "" || c === "." || c === ".." || c.toLowerCase() === ".git");
}

/** One entry into the temporary index: the path (and anything under it) goes, then the new object comes. */
async function applyEntry(repo: RepoRecord, env: Record<string, string>, e: TreeInput): Promise<void> {
  const below = await plumb(repo, ["ls-files", "-z", "--", e.path], undefined, env);
  // Mode 0 removes an index entry (--index-info needs no work tree, unlike --force-remove --stdin).
  const gone = below.split("\0").filter(Boolean).map((p) => `0 ${"0".repeat(40)}\t${p}\0`).join("");
  if (gone) await plumb(repo, ["update-index", "-z", "--index-info"], gone, env);
  if (e.sha === null && e.content === undefined) return;
  const wanted = e.mode === "040000" ? "tree" : e.mode === "160000" ? "commit" : "blob";
  if (e.type !== wanted) throw unprocessable(`tree.type ${e.type} does not match mode ${e.mode}`);
  const sha = e.content !== undefined ? await plumb(repo, ["hash-object", "-w", "--stdin"], e.content) : (e.sha ?? "");
  if (wanted !== "commit" && (await typeOf(repo, sha)) !== wanted) throw unprocessable("GitRPC::BadObjectState");
  if (wanted === "tree") await plumb(repo, ["read-tree", `--prefix=${e.path}/`, sha], undefined, env);
  else await plumb(repo, ["update-index", "--add", "--replace", "--cacheinfo", `${e.mode},${sha},${e.path}`], undefined, env);
}

async function createTree(ctx: Ctx) {
  const repo = repoOf(ctx);
  const body = parseBody(treeBody, ctx);
  if (body.base_tree !== undefined && (await typeOf(repo, body.base_tree)) !== "tree") throw unprocessable("GitRPC::BadObjectState");
  const bad = body.tree.find((e) => malformed(e.path));
  if (bad) throw unprocessable(`tree.path contains a malformed path component`);
  const tmp = await mkdtemp(join(tmpdir(), "fake-gh-tree-"));
  const env = { GIT_INDEX_FILE: join(tmp, "index") };
  try {
    await plumb(repo, body.base_tree ? ["read-tree", body.base_tree] : ["read-tree", "--empty"], undefined, env);
    for (const e of body.tree) await applyEntry(repo, env, e);
    const sha = await plumb(repo, ["write-tree"], undefined, env);
    const api = `${apiBase(ctx.store)}/repos/${repo.fullName}/git`;
    const entries = await lsTree(repo.bareDir, sha, "");
    const tree = entries.map((e) => ({ path: e.path, mode: e.mode, type: e.type, sha: e.sha, ...(e.type === "blob" ? { size: e.size } : {}), url: `${api}/${e.type}s/${e.sha}` }));
    return json(201, { sha, url: `${api}/trees/${sha}`, tree, truncated: false });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

const person = z.object({ name: z.string(), email: z.string(), date: z.string().optional() });
const commitBody = z.object({ message: z.string(), tree: z.string(), parents: z.array(z.string()).optional(), author: person.optional(), committer: person.optional(), signature: z.string().optional() });

function signatureLine(p: { name: string; email: string; date?: string | undefined }): string {
  const seconds = Math.floor((p.date ? Date.parse(p.date) : Date.now()) / 1000);
  return `${p.name} <${p.email}> ${seconds} +0000`;
}

async function createCommit(ctx: Ctx) {
  const repo = repoOf(ctx);
  const body = parseBody(commitBody, ctx);
  if ((await typeOf(repo, body.tree)) !== "tree") throw unprocessable("Tree SHA does not exist");
  const parents = body.parents ?? [];
  for (const p of parents) if ((await typeOf(repo, p)) !== "commit") throw unprocessable("Parent SHA does not exist or is not a commit object");
  const me = { name: ctx.actor.login, email: `${ctx.actor.id}+${ctx.actor.login}@users.noreply.github.com` };
  const author = body.author ?? me;
  // What GitHub does for a commit it signs: the author is the caller, the committer GitHub itself.
  const committer = body.committer ?? (body.author ? author : { name: "GitHub", email: "noreply@github.com" });
  const object = [`tree ${body.tree}`, ...parents.map((p) => `parent ${p}`), `author ${signatureLine(author)}`, `committer ${signatureLine(committer)}`, "", body.message].join("\n");
  const sha = await plumb(repo, ["hash-object", "-t", "commit", "-w", "--stdin"], object);
  const verified = !body.author && !body.committer && !body.signature && ctx.auth.kind === "installation";
  ctx.store.state.gitDataCommits.push({ repo: repo.fullName, sha, verified, message: body.message });
  return json(201, await serializeGitCommit(ctx, repo, sha));
}

/** A commit as the Git Data API shows it, with its verification. */
async function serializeGitCommit(ctx: Ctx, repo: RepoRecord, sha: string): Promise<Record<string, unknown>> {
  const raw = (await runGit(["--git-dir", repo.bareDir, "cat-file", "commit", sha])).stdout.toString("utf8");
  const split = raw.indexOf("\n\n");
  const headers = raw.slice(0, split < 0 ? raw.length : split).split("\n");
  const header = (name: string) => headers.filter((h) => h.startsWith(`${name} `)).map((h) => h.slice(name.length + 1));
  const who = (line = "") => {
    const m = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line);
    return { name: m?.[1] ?? "", email: m?.[2] ?? "", date: new Date(Number(m?.[3] ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") };
  };
  const api = `${apiBase(ctx.store)}/repos/${repo.fullName}/git`;
  const record = ctx.store.state.gitDataCommits.find((c) => c.repo === repo.fullName && c.sha === sha);
  return {
    sha,
    node_id: Buffer.from(`0:Commit${sha}`).toString("base64"),
    url: `${api}/commits/${sha}`,
    html_url: `${repo.htmlUrl}/commit/${sha}`,
    author: who(header("author")[0]),
    committer: who(header("committer")[0]),
    message: split < 0 ? "" : raw.slice(split + 2),
    tree: { sha: header("tree")[0] ?? "", url: `${api}/trees/${header("tree")[0] ?? ""}` },
    parents: header("parent").map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${repo.htmlUrl}/commit/${p}` })),
    verification: { verified: record?.verified ?? false, reason: record?.verified ? "valid" : "unsigned", signature: null, payload: null, verified_at: null },
  };
}

async function getGitCommit(ctx: Ctx) {
  const repo = repoOf(ctx);
  const sha = ctx.params["commit_sha"] ?? "";
  if ((await typeOf(repo, sha)) !== "commit") throw notFound();
  return json(200, await serializeGitCommit(ctx, repo, sha));
}

/** GET /repos/{o}/{r}/commits/{ref}: the REST view, with the git commit (and its verification) inside. */
async function getCommit(ctx: Ctx) {
  const repo = repoOf(ctx);
  const ref = ctx.params["ref"] ?? "";
  const r = await runGit(["--git-dir", repo.bareDir, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (r.code !== 0) throw unprocessable(`No commit found for SHA: ${ref}`);
  const sha = r.stdout.toString("utf8").trim();
  const git = await serializeGitCommit(ctx, repo, sha);
  const { sha: _s, node_id, html_url, parents, ...commit } = git;
  return json(200, { sha, node_id, url: `${apiBase(ctx.store)}/repos/${repo.fullName}/commits/${sha}`, html_url, commit, author: null, committer: null, parents, files: [] });
}

function serializeRef(ctx: Ctx, repo: RepoRecord, ref: string, sha: string) {
  const api = `${apiBase(ctx.store)}/repos/${repo.fullName}/git`;
  return { ref, node_id: Buffer.from(`0:Ref${repo.id}:${ref}`).toString("base64"), url: `${api}/${ref}`, object: { sha, type: "commit", url: `${api}/commits/${sha}` } };
}

async function currentRef(repo: RepoRecord, ref: string): Promise<string | null> {
  const r = await runGit(["--git-dir", repo.bareDir, "rev-parse", "--verify", "--quiet", ref]);
  return r.code === 0 ? r.stdout.toString("utf8").trim() : null;
}

async function getRef(ctx: Ctx) {
  const repo = repoOf(ctx);
  const ref = `refs/${ctx.params["ref"] ?? ""}`;
  const sha = await currentRef(repo, ref);
  if (!sha) throw notFound();
  return json(200, serializeRef(ctx, repo, ref, sha));
}

async function createRef(ctx: Ctx) {
  const repo = repoOf(ctx);
  const body = parseBody(z.object({ ref: z.string(), sha: z.string() }), ctx);
  if (!/^refs\/[^/]+\/.+/.test(body.ref)) throw unprocessable("Reference name must start with 'refs/' and have at least two slashes.");
  if ((await typeOf(repo, body.sha)) === null) throw unprocessable("Object does not exist");
  if (await currentRef(repo, body.ref)) throw unprocessable("Reference already exists");
  await plumb(repo, ["update-ref", body.ref, body.sha, ""]);
  return json(201, serializeRef(ctx, repo, body.ref, body.sha));
}

async function updateRef(ctx: Ctx) {
  const repo = repoOf(ctx);
  const ref = `refs/${ctx.params["ref"] ?? ""}`;
  const body = parseBody(z.object({ sha: z.string(), force: z.boolean().optional() }), ctx);
  const old = await currentRef(repo, ref);
  if (!old) throw unprocessable("Reference does not exist");
  if ((await typeOf(repo, body.sha)) !== "commit") throw unprocessable("Object does not exist");
  const ancestor = await runGit(["--git-dir", repo.bareDir, "merge-base", "--is-ancestor", old, body.sha]);
  if (ancestor.code !== 0 && !body.force) throw unprocessable("Update is not a fast forward");
  await plumb(repo, ["update-ref", ref, body.sha, old]);
  return json(200, serializeRef(ctx, repo, ref, body.sha));
}

function getUser(ctx: Ctx) {
  const user = ctx.store.users.get((ctx.params["username"] ?? "").toLowerCase());
  if (!user) throw notFound();
  return json(200, { ...serializeUser(ctx.store, user), name: null, company: null, blog: "", location: null, email: null, hireable: null, bio: null, public_repos: 0, public_gists: 0, followers: 0, following: 0, created_at: "2020-01-01T00:00:00Z", updated_at: "2020-01-01T00:00:00Z" });
}

const repoPath = "/repos/:owner/:repo";
export const gitDataRoutes: Route[] = [
  { method: "POST", pattern: `${repoPath}/git/blobs`, auth: "installation", perms: write, handler: createBlob },
  { method: "POST", pattern: `${repoPath}/git/trees`, auth: "installation", perms: write, handler: createTree },
  { method: "POST", pattern: `${repoPath}/git/commits`, auth: "installation", perms: write, handler: createCommit },
  { method: "GET", pattern: `${repoPath}/git/commits/:commit_sha`, auth: "installation", perms: read, handler: getGitCommit },
  { method: "GET", pattern: `${repoPath}/git/ref/*ref`, auth: "installation", perms: read, handler: getRef },
  { method: "POST", pattern: `${repoPath}/git/refs`, auth: "installation", perms: write, handler: createRef },
  { method: "PATCH", pattern: `${repoPath}/git/refs/*ref`, auth: "installation", perms: write, handler: updateRef },
  { method: "GET", pattern: `${repoPath}/commits/:ref`, auth: "installation", perms: read, handler: getCommit },
  { method: "GET", pattern: "/users/:username", auth: "installation", handler: getUser },
];
