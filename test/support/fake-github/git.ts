// Thin wrappers around the git CLI, operating directly on bare repositories.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GitLogEntry } from "./types.ts";

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Environment that isolates git from the user's config and never prompts. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: tmpdir(),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: "Fake GitHub",
    GIT_AUTHOR_EMAIL: "noreply@fake-github.test",
    GIT_COMMITTER_NAME: "Fake GitHub",
    GIT_COMMITTER_EMAIL: "noreply@fake-github.test",
    ...extra,
  };
}

export function runGit(
  args: string[],
  opts: { cwd?: string; input?: string | Buffer; env?: Record<string, string> } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd: opts.cwd, env: gitEnv(opts.env), stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/** Runs git and returns trimmed stdout, throwing on a non-zero exit. */
export async function git(bareDir: string, args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<string> {
  const r = await runGit(["--git-dir", bareDir, ...args], opts);
  if (r.code !== 0) throw new Error(`git ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout.toString("utf8").trim();
}

export async function initBare(bareDir: string, defaultBranch: string): Promise<void> {
  const r = await runGit(["init", "--bare", "--quiet", `--initial-branch=${defaultBranch}`, bareDir]);
  if (r.code !== 0) throw new Error(`git init failed: ${r.stderr}`);
  await git(bareDir, ["config", "http.receivepack", "true"]);
  await git(bareDir, ["config", "receive.denyDeleteCurrent", "true"]);
  // Like github.com: any commit reachable from a ref can be fetched by its SHA.
  await git(bareDir, ["config", "uploadpack.allowReachableSHA1InWant", "true"]);
}

export async function revParse(bareDir: string, ref: string): Promise<string | null> {
  const r = await runGit(["--git-dir", bareDir, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  return r.code === 0 ? r.stdout.toString("utf8").trim() : null;
}

export async function branchExists(bareDir: string, branch: string): Promise<boolean> {
  const r = await runGit(["--git-dir", bareDir, "show-ref", "--verify", "--quiet", `refs/heads/${branch}`]);
  return r.code === 0;
}

export async function listBranches(bareDir: string): Promise<string[]> {
  const out = await git(bareDir, ["for-each-ref", "--format=%(refname:short)", "refs/heads"]);
  return out ? out.split("\n") : [];
}

export interface CommitFilesOptions {
  branch: string;
  /** path → content; null deletes the path. */
  files: Record<string, string | null>;
  message: string;
  /** Commit to build on (default: the branch's current tip, if any). */
  from?: string;
  author?: { name: string; email: string };
}

/** Creates a commit on `branch` without a work tree (temporary index + plumbing). Returns the new sha. */
export async function commitFiles(bareDir: string, o: CommitFilesOptions): Promise<string> {
  const tmp = await mkdtemp(join(tmpdir(), "fake-gh-index-"));
  const env = {
    GIT_INDEX_FILE: join(tmp, "index"),
    ...(o.author
      ? { GIT_AUTHOR_NAME: o.author.name, GIT_AUTHOR_EMAIL: o.author.email, GIT_COMMITTER_NAME: o.author.name, GIT_COMMITTER_EMAIL: o.author.email }
      : {}),
  };
  try {
    const parent = await revParse(bareDir, o.from ?? `refs/heads/${o.branch}`);
    if (o.from && !parent) throw new Error(`commitFiles: unknown revision ${o.from}`);
    if (parent) await git(bareDir, ["read-tree", parent], { env });
    for (const [path, content] of Object.entries(o.files)) {
      if (content === null) {
        await git(bareDir, ["update-index", "--force-remove", "--", path], { env });
      } else {
        const blob = await git(bareDir, ["hash-object", "-w", "--stdin"], { input: content, env });
        await git(bareDir, ["update-index", "--add", "--cacheinfo", `100644,${blob},${path}`], { env });
      }
    }
    const tree = await git(bareDir, ["write-tree"], { env });
    const commit = await git(bareDir, ["commit-tree", tree, ...(parent ? ["-p", parent] : []), "-F", "-"], { input: o.message, env });
    await git(bareDir, ["update-ref", `refs/heads/${o.branch}`, commit]);
    return commit;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export async function gitLog(bareDir: string, ref: string): Promise<GitLogEntry[]> {
  const r = await runGit(["--git-dir", bareDir, "log", "--format=%H%x00%s%x00%b%x00%an <%ae>%x1e", ref, "--"]);
  if (r.code !== 0) return [];
  return r.stdout
    .toString("utf8")
    .split("\x1e")
    .map((s) => s.replace(/^\n/, ""))
    .filter((s) => s.length > 0)
    .map((rec) => {
      const [sha = "", subject = "", body = "", author = ""] = rec.split("\x00");
      return { sha, subject, body: body.trim(), author };
    });
}

export type ObjectKind = "blob" | "tree" | "commit";

/** Type of `ref:path`, or null if it does not exist. */
export async function objectType(bareDir: string, ref: string, path: string): Promise<ObjectKind | null> {
  const r = await runGit(["--git-dir", bareDir, "cat-file", "-t", `${ref}:${path}`]);
  if (r.code !== 0) return null;
  const t = r.stdout.toString("utf8").trim();
  return t === "blob" || t === "tree" || t === "commit" ? t : null;
}

export async function readBlob(bareDir: string, ref: string, path: string): Promise<Buffer | null> {
  const r = await runGit(["--git-dir", bareDir, "cat-file", "blob", `${ref}:${path}`]);
  return r.code === 0 ? r.stdout : null;
}

export async function objectSha(bareDir: string, ref: string, path: string): Promise<string | null> {
  const r = await runGit(["--git-dir", bareDir, "rev-parse", "--verify", "--quiet", `${ref}:${path}`]);
  return r.code === 0 ? r.stdout.toString("utf8").trim() : null;
}

export interface TreeEntry {
  mode: string;
  type: string;
  sha: string;
  size: number;
  path: string;
}

export async function lsTree(bareDir: string, ref: string, dir: string): Promise<TreeEntry[]> {
  const spec = dir ? `${ref}:${dir}` : `${ref}^{tree}`;
  const out = await git(bareDir, ["ls-tree", "-l", "-z", spec]);
  return out
    .split("\0")
    .filter(Boolean)
    .map((line) => {
      const [meta = "", path = ""] = line.split("\t");
      const [mode = "", type = "", sha = "", size = "0"] = meta.split(/\s+/);
      return { mode, type, sha, size: Number(size) || 0, path };
    });
}

export async function mergeBase(bareDir: string, a: string, b: string): Promise<string | null> {
  const r = await runGit(["--git-dir", bareDir, "merge-base", a, b]);
  return r.code === 0 ? r.stdout.toString("utf8").trim() : null;
}

export async function countCommits(bareDir: string, range: string): Promise<number> {
  return Number(await git(bareDir, ["rev-list", "--count", range]));
}

export interface DiffFile {
  filename: string;
  previousFilename?: string;
  status: "added" | "removed" | "modified" | "renamed";
  additions: number;
  deletions: number;
  patch: string;
  sha: string | null;
}

/** Files changed between `base` and `head` (three-dot, like a PR). */
export async function diffFiles(bareDir: string, base: string, head: string): Promise<DiffFile[]> {
  const mb = (await mergeBase(bareDir, base, head)) ?? base;
  const nameStatus = await git(bareDir, ["diff", "--no-renames", "--name-status", "-z", mb, head]);
  const parts = nameStatus.split("\0").filter((p) => p.length > 0);
  const files: DiffFile[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const code = parts[i] ?? "M";
    const filename = parts[i + 1] ?? "";
    const status = code.startsWith("A") ? "added" : code.startsWith("D") ? "removed" : "modified";
    const numstat = await git(bareDir, ["diff", "--numstat", mb, head, "--", filename]);
    const [add = "0", del = "0"] = numstat.split("\t");
    const patchFull = (await runGit(["--git-dir", bareDir, "diff", "--no-color", mb, head, "--", filename])).stdout.toString("utf8");
    const at = patchFull.indexOf("\n@@");
    const patch = at >= 0 ? patchFull.slice(at + 1).replace(/\n$/, "") : "";
    const sha = status === "removed" ? null : await objectSha(bareDir, head, filename);
    files.push({ filename, status, additions: Number(add) || 0, deletions: Number(del) || 0, patch, sha });
  }
  return files;
}

/** Line numbers a review comment may target, per side, parsed from a unified-diff patch. */
export function commentableLines(patch: string): { LEFT: Set<number>; RIGHT: Set<number> } {
  const left = new Set<number>();
  const right = new Set<number>();
  let oldLine = 0;
  let newLine = 0;
  for (const line of patch.split("\n")) {
    const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (m) {
      oldLine = Number(m[1]);
      newLine = Number(m[2]);
      continue;
    }
    if (line.startsWith("\\")) continue;
    if (line.startsWith("-")) {
      left.add(oldLine++);
    } else if (line.startsWith("+")) {
      right.add(newLine++);
    } else {
      left.add(oldLine++);
      right.add(newLine++);
    }
  }
  return { LEFT: left, RIGHT: right };
}
