import { inlineCode } from "../util/markdown.ts";
import type { GitHubClient, RepoCoords } from "../github/octokit-types.ts";
import type { MirrorPlumbing } from "./host-git.ts";

/**
 * Verified commits: the run's commits (already on the bot's mirror) are made again through
 * GitHub's Git Data API — blobs, trees, commits, then the branch's ref — which GitHub signs for
 * the app. GitHub signs only a commit whose author, committer and signature it chose itself, so
 * none is sent: the app is the author, the people asked for are credited in trailers
 * (commit-credit.ts). Each tree GitHub builds must be the mirror's own, so the branch holds
 * exactly what a push would give; what the API cannot express (merges, symlinks, submodules,
 * other file modes, a message that is not UTF-8, a file over the API's size) is pushed instead.
 */

/**
 * The largest blob the API takes. GitHub documents 100 MB for the Git Data API; measured, it
 * refuses 40 MiB (the decoded size), so a MiB under that. Above it, the push path (git's own limit is 100 MB).
 */
export const API_BLOB_MAX_BYTES = 39 * 1024 * 1024;

/**
 * One request per blob and two per commit, against the installation's 5,000 requests an hour:
 * a change bigger than this is pushed rather than spend a good part of the hour on it.
 */
export const API_MAX_BLOBS = 300;
export const API_MAX_COMMITS = 100;

const ZERO = /^0+$/;
const REGULAR = new Set(["100644", "100755"]);

export interface FileChange {
  path: string;
  oldMode: string;
  newMode: string;
  /** The blob the path holds after the commit (all zeros: deleted). */
  sha: string;
  size: number;
}

export interface RunCommit {
  sha: string;
  parents: string[];
  tree: string;
  parentTree: string;
  /** The message's bytes as UTF-8 text; null when they are not UTF-8 (or the commit names another encoding). */
  message: string | null;
  changes: FileChange[];
}

/** Why these commits cannot be made through the API (null: they can). Pure. */
export function unsignedReason(commits: RunCommit[]): string | null {
  if (commits.length > API_MAX_COMMITS) return `the run made ${commits.length} commits, more than the ${API_MAX_COMMITS} the bot makes through the API`;
  const blobs = new Set(commits.flatMap((c) => c.changes.filter((f) => !ZERO.test(f.sha)).map((f) => f.sha)));
  if (blobs.size > API_MAX_BLOBS) return `the change writes ${blobs.size} files, more than the ${API_MAX_BLOBS} the bot makes through the API (a request each)`;
  for (const c of commits) {
    if (c.parents.length !== 1) return `commit ${c.sha.slice(0, 12)} is a merge`;
    if (c.message === null) return `the message of commit ${c.sha.slice(0, 12)} is not UTF-8`;
    for (const f of c.changes) {
      const mode = [f.oldMode, f.newMode].find((m) => !ZERO.test(m) && !REGULAR.has(m));
      const name = inlineCode(f.path, { maxChars: 200 });
      if (mode === "120000") return `${name} is a symbolic link`;
      if (mode === "160000") return `${name} is a submodule`;
      if (mode) return `${name} has file mode ${mode}`;
      if (f.size > API_BLOB_MAX_BYTES) return `${name} is ${Math.ceil(f.size / 1024 / 1024)} MB, over the API's ${Math.floor(API_BLOB_MAX_BYTES / 1024 / 1024)} MB per file`;
    }
  }
  return null;
}

/** The run's commits, oldest first, with what each changes against its first parent. */
export async function readRunCommits(git: MirrorPlumbing, startSha: string, ref: string): Promise<RunCommit[]> {
  const text = async (args: string[]) => (await git(args)).toString("utf8");
  const lines = (await text(["rev-list", "--reverse", "--topo-order", "--parents", `${startSha}..${ref}`])).split("\n").filter(Boolean);
  const commits: RunCommit[] = [];
  for (const line of lines) {
    const [sha = "", ...parents] = line.split(" ");
    const raw = await git(["cat-file", "commit", sha]);
    const parent = parents[0] ?? "";
    const trees = (await text(["rev-parse", `${sha}^{tree}`, ...(parent ? [`${parent}^{tree}`] : [])])).split("\n");
    const changes = parent ? parseRawDiff((await git(["diff-tree", "-r", "-z", "--raw", "--no-renames", "--no-commit-id", parent, sha])).toString("utf8")) : [];
    commits.push({ sha, parents, tree: trees[0] ?? "", parentTree: trees[1] ?? "", message: utf8Message(raw), changes });
  }
  const blobs = commits.flatMap((c) => c.changes.filter((f) => !ZERO.test(f.sha) && !f.newMode.startsWith("160")).map((f) => f.sha));
  const sizes = await blobSizes(git, blobs);
  for (const f of commits.flatMap((c) => c.changes)) f.size = sizes.get(f.sha) ?? 0;
  return commits;
}

/** `git diff-tree -r -z --raw` → one change per path. Pure. */
export function parseRawDiff(out: string): FileChange[] {
  const parts = out.split("\0");
  const changes: FileChange[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const [oldMode = "", newMode = "", , sha = ""] = (parts[i] ?? "").replace(/^:/, "").split(" ");
    changes.push({ path: parts[i + 1] ?? "", oldMode, newMode, sha, size: 0 });
  }
  return changes;
}

function utf8Message(raw: Buffer): string | null {
  const split = raw.indexOf("\n\n");
  const headers = raw.subarray(0, split < 0 ? raw.length : split).toString("latin1");
  const encoding = /^encoding (.+)$/m.exec(headers)?.[1];
  if (encoding && !/^utf-?8$/i.test(encoding.trim())) return null;
  const bytes = split < 0 ? Buffer.alloc(0) : raw.subarray(split + 2);
  const message = bytes.toString("utf8");
  return Buffer.from(message, "utf8").equals(bytes) ? message : null;
}

async function blobSizes(git: MirrorPlumbing, shas: string[]): Promise<Map<string, number>> {
  if (shas.length === 0) return new Map();
  const out = (await git(["cat-file", "--batch-check=%(objectname) %(objectsize)"], `${[...new Set(shas)].join("\n")}\n`)).toString("utf8");
  return new Map(out.split("\n").filter(Boolean).map((l) => [l.split(" ")[0]!, Number(l.split(" ")[1])] as const));
}

export interface TreeEntry {
  path: string;
  mode: "100644" | "100755";
  type: "blob";
  sha: string | null;
}

/** The calls the API path makes (over Octokit: gitDataApi); each answers the SHA GitHub gave. */
export interface GitDataApi {
  createBlob(base64: string): Promise<string>;
  createTree(baseTree: string, entries: TreeEntry[]): Promise<string>;
  createCommit(message: string, tree: string, parent: string): Promise<string>;
  /** Points the branch at the commit; never forces, so someone else's commits are kept. */
  setBranch(branch: string, sha: string, isNew: boolean): Promise<void>;
}

export type ApiPublishResult = { published: true; sha: string } | { published: false; reason: string };

/**
 * Makes the commits through the API, each on the one made before, and moves the branch once all
 * are made. When GitHub's blob or tree is not the mirror's, the branch is not moved and the reason
 * comes back (the caller pushes instead; what was made stays unreferenced). Throws what GitHub refused.
 */
export async function createCommitsThroughApi(api: GitDataApi, git: MirrorPlumbing, commits: RunCommit[], branch: string, branchIsNew: boolean): Promise<ApiPublishResult> {
  const uploaded = new Set<string>();
  let parent = commits[0]?.parents[0] ?? "";
  for (const c of commits) {
    const fresh = [...new Set(c.changes.filter((f) => !ZERO.test(f.sha) && !uploaded.has(f.sha)).map((f) => f.sha))];
    // A few at a time: each is read whole into memory (up to API_BLOB_MAX_BYTES, more as base64).
    for (let i = 0; i < fresh.length; i += 4) {
      const got = await Promise.all(fresh.slice(i, i + 4).map(async (sha) => [sha, await api.createBlob((await git(["cat-file", "blob", sha])).toString("base64"))] as const));
      const wrong = got.find(([sha, stored]) => sha !== stored);
      if (wrong) return { published: false, reason: `GitHub's API stored blob ${wrong[1].slice(0, 12)} for ${wrong[0].slice(0, 12)}` };
      for (const [sha] of got) uploaded.add(sha);
    }
    const entries: TreeEntry[] = c.changes.map((f) => ({ path: f.path, mode: (ZERO.test(f.sha) ? "100644" : f.newMode) as TreeEntry["mode"], type: "blob", sha: ZERO.test(f.sha) ? null : f.sha }));
    const tree = entries.length > 0 ? await api.createTree(c.parentTree, entries) : c.parentTree;
    if (tree !== c.tree) return { published: false, reason: `GitHub's API built another tree for commit ${c.sha.slice(0, 12)} than git did` };
    parent = await api.createCommit(c.message ?? "", tree, parent);
  }
  await api.setBranch(branch, parent, branchIsNew);
  return { published: true, sha: parent };
}

/** The Git Data API over the installation's client. */
export function gitDataApi(client: GitHubClient, repo: RepoCoords): GitDataApi {
  const ref = (branch: string) => `heads/${branch}`;
  const status = (error: unknown) => (error as { status?: number }).status;
  const update = (branch: string, sha: string) => client.rest.git.updateRef({ ...repo, ref: ref(branch), sha, force: false }).then(() => undefined);
  const create = (branch: string, sha: string) => client.rest.git.createRef({ ...repo, ref: `refs/${ref(branch)}`, sha }).then(() => undefined);
  return {
    createBlob: async (content) => (await client.rest.git.createBlob({ ...repo, content, encoding: "base64" })).data.sha,
    createTree: async (baseTree, tree) => (await client.rest.git.createTree({ ...repo, base_tree: baseTree, tree })).data.sha,
    createCommit: async (message, tree, parent) => (await client.rest.git.createCommit({ ...repo, message, tree, parents: [parent] })).data.sha,
    // The branch may have been deleted or created since the run looked: then the other call, as a push would.
    setBranch: (branch, sha, isNew) =>
      isNew
        ? create(branch, sha).catch((e: unknown) => (status(e) === 422 && /already exists/i.test((e as Error).message) ? update(branch, sha) : Promise.reject(e)))
        : update(branch, sha).catch((e: unknown) => (status(e) === 422 && /does not exist/i.test((e as Error).message) ? create(branch, sha) : Promise.reject(e))),
  };
}
