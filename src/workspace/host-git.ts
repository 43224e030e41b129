import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHostEnvLookup } from "../config/env.ts";
import { addedText, logFormat, newLogMarker, type AddedText } from "./added-text.ts";
import { checkBundleHeader } from "./bundle-header.ts";
import { GIT_NO_PROMPT, gitAuthEnv } from "./git-auth.ts";
import { SAFE_GIT_ENV, safeGitArgs } from "./safe-git.ts";
import { GitError } from "./sandbox-git.ts";

/**
 * git on the bot's own machine: every network operation that needs a token once the agent has
 * been in a sandbox happens here, never in the sandbox. After the agent has run, anything there —
 * a hook, git config, a remote, a wrapper named git, a process reading /proc/<pid>/environ — could
 * see a token used there. So the sandbox and this side exchange git bundles (data, no token):
 * commits come out of the sandbox for the push, and a follow-up's new remote commits go into a
 * live sandbox the same way.
 *
 * One bare mirror per repository per process, fetched incrementally; operations on one mirror
 * are serialised. Mirrors live in the OS temp directory and go away with the process (a dead
 * process's are removed when the next one starts).
 */
export interface HostGit {
  /** Fetches these branches (those that exist) into the mirror; returns each one's tip, null when the remote has no such branch. */
  fetchBranches(cloneUrl: string, token: string, branches: string[], extraRef?: string | null): Promise<{ tips: Record<string, string | null>; extra: string | null }>;
  /** Makes sure the mirror has this commit (fetched by SHA when no branch brought it). */
  ensureCommit(cloneUrl: string, token: string, sha: string): Promise<void>;
  /** A bundle with these commits and what leads to them, minus what the sandbox already has; null when it has everything. */
  bundleFor(cloneUrl: string, tips: string[], sandboxHas: string[]): Promise<Uint8Array | null>;
  /** Imports a sandbox's bundle (startSha..HEAD) under `ref`; returns what the new commits add (messages and added lines, binary files as text). */
  importBundle(cloneUrl: string, ref: string, bundle: Uint8Array, startSha: string): Promise<AddedText>;
  /** Pushes `ref` to the branch. Never forces: someone else's commits are kept. */
  push(cloneUrl: string, ref: string, branch: string, token: string): Promise<void>;
  dropRef(cloneUrl: string, ref: string): Promise<void>;
  /** Runs the bot's own plumbing on the mirror (commit-credit.ts, git-data-commit.ts), in turn with the operations above. */
  withPlumbing<T>(cloneUrl: string, fn: (git: MirrorPlumbing) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** git on one mirror, no network and no token: stdout as bytes (blobs and commit objects are not always UTF-8). */
export type MirrorPlumbing = (args: string[], input?: Uint8Array | string) => Promise<Buffer>;

const ROOT_PREFIX = "csb-git-";

export interface HostGitOptions {
  tmpRoot?: string;
  /** The bot's own environment, for PATH and the proxy settings (default: config/env.ts's createHostEnvLookup). */
  hostEnv?: (name: string) => string | undefined;
}

export async function createHostGit(options: HostGitOptions = {}): Promise<HostGit> {
  const base = options.tmpRoot ?? tmpdir();
  await removeDeadProcessesMirrors(base);
  const root = join(base, `${ROOT_PREFIX}${process.pid}`);
  await mkdir(root, { recursive: true });
  // This machine's git with nothing configured but what each command says (an operator's proxy
  // still applies), and nothing that runs a command (safe-git.ts). Only the bot writes a mirror's
  // config; what comes in from a sandbox is a bundle's objects under one ref.
  const hostEnv = options.hostEnv ?? createHostEnvLookup();
  const env = { ...proxyEnv(hostEnv), ...GIT_NO_PROMPT, ...SAFE_GIT_ENV, PATH: hostEnv("PATH") ?? "/usr/bin:/bin", HOME: root };
  const safe = safeGitArgs();
  const locks = new Map<string, Promise<unknown>>();
  const initialised = new Set<string>();

  const mirrorOf = (cloneUrl: string) => join(root, `${createHash("sha256").update(cloneUrl).digest("hex").slice(0, 24)}.git`);
  const git = (dir: string, step: string, hint: string, args: string[], extraEnv: Record<string, string> = {}) =>
    new Promise<string>((resolve, reject) => {
      execFile("git", [...safe, ...args], { cwd: dir, env: { ...env, ...extraEnv }, maxBuffer: 256 * 1024 * 1024, timeout: 10 * 60_000, encoding: "utf8" }, (error, stdout, stderr) => {
        if (error) reject(new GitError(step, { stdout, stderr: stderr || error.message }, hint));
        else resolve(stdout);
      });
    });
  /** Runs `fn` on the repository's mirror, one operation at a time per mirror. */
  const withMirror = <T>(cloneUrl: string, fn: (dir: string) => Promise<T>): Promise<T> => {
    const dir = mirrorOf(cloneUrl);
    const run = async () => {
      if (!initialised.has(dir)) {
        await mkdir(dir, { recursive: true });
        await git(dir, "init", "", ["init", "--bare", "--quiet", "."]);
        initialised.add(dir);
      }
      return fn(dir);
    };
    const next = (locks.get(dir) ?? Promise.resolve()).then(run, run);
    locks.set(dir, next.catch(() => undefined));
    return next;
  };
  const plumbing = (dir: string): MirrorPlumbing => (args, input) =>
    new Promise<Buffer>((resolve, reject) => {
      const child = execFile("git", [...safe, ...args], { cwd: dir, env, maxBuffer: 256 * 1024 * 1024, timeout: 10 * 60_000, encoding: "buffer" }, (error, stdout, stderr) => {
        if (error) reject(new GitError(args[0] ?? "plumbing", { stdout: "", stderr: stderr.toString("utf8") || error.message }, ""));
        else resolve(stdout);
      });
      // A command that reads no input may be gone before it is written to.
      child.stdin?.on("error", () => undefined);
      child.stdin?.end(input ?? "");
    });
  const has = async (dir: string, shas: string[]): Promise<string[]> => {
    if (shas.length === 0) return [];
    const out = await new Promise<string>((resolve) => {
      const child = execFile("git", [...safe, "cat-file", "--batch-check=%(objectname) %(objecttype)"], { cwd: dir, env, encoding: "utf8" }, (_error, stdout) => resolve(stdout ?? ""));
      child.stdin?.end(`${shas.join("\n")}\n`);
    });
    return out.split("\n").flatMap((line) => (/^[0-9a-f]{40,64} commit$/.test(line) ? [line.split(" ")[0]!] : []));
  };
  const readHint = "check that the app can still read this repository (the bot's machine fetches it too)";

  return {
    fetchBranches: (cloneUrl, token, branches, extraRef) =>
      withMirror(cloneUrl, async (dir) => {
        const names = [...new Set(branches)];
        // One round trip: a pattern per branch matches it whether or not it exists (a missing
        // exact ref would fail the fetch); --prune drops what the remote deleted. Ref names cannot
        // contain "*", so a pattern matches only the branch and longer names next to it.
        const refspecs = [...names.map((b) => `+refs/heads/${b}*:refs/heads/${b}*`), ...(extraRef ? [`+${extraRef}:refs/csb/extra`] : [])];
        await git(dir, "fetch", readHint, ["fetch", "--quiet", "--no-tags", "--prune", cloneUrl, ...refspecs], gitAuthEnv(token));
        const tipOf = (ref: string) => git(dir, "rev-parse", "", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).then((out) => out.trim(), () => null);
        const tips = Object.fromEntries(await Promise.all(names.map(async (b) => [b, await tipOf(`refs/heads/${b}`)] as const)));
        return { tips, extra: extraRef ? await tipOf("refs/csb/extra") : null };
      }),
    ensureCommit: (cloneUrl, token, sha) =>
      withMirror(cloneUrl, async (dir) => {
        if ((await has(dir, [sha])).length > 0) return;
        await git(dir, "fetch", `the run's start commit ${sha.slice(0, 12)} could not be fetched to push from; ${readHint}`, ["fetch", "--quiet", "--no-tags", cloneUrl, `${sha}:refs/csb/start/${sha}`], gitAuthEnv(token));
      }),
    bundleFor: (cloneUrl, tips, sandboxHas) =>
      withMirror(cloneUrl, async (dir) => {
        // What the sandbox claims to have is only used to leave commits out; a false claim makes the bundle unusable, nothing worse.
        const known = await has(dir, sandboxHas);
        if (tips.every((tip) => known.includes(tip))) return null;
        const refs = tips.map((_, i) => `refs/csb/bundle/${i}`);
        await Promise.all(tips.map((tip, i) => git(dir, "update-ref", "", ["update-ref", refs[i]!, tip])));
        const file = join(dir, `to-sandbox-${process.hrtime.bigint()}.bundle`);
        try {
          await git(dir, "bundle", "", ["bundle", "create", "-q", file, ...refs, ...known.map((sha) => `^${sha}`)]);
          return new Uint8Array(await readFile(file));
        } catch (error) {
          // Every tip is already in the sandbox's history: git refuses an empty bundle.
          if (/empty bundle/i.test((error as Error).message)) return null;
          throw error;
        } finally {
          await rm(file, { force: true });
        }
      }),
    importBundle: (cloneUrl, ref, bundle, startSha) =>
      withMirror(cloneUrl, async (dir) => {
        const header = checkBundleHeader(bundle);
        if (!header.ok) throw new GitError("bundle", { stdout: "", stderr: header.reason }, "the sandbox's commits were refused, so nothing was pushed");
        const file = join(dir, `from-sandbox-${process.hrtime.bigint()}.bundle`);
        await writeFile(file, bundle);
        try {
          // The one transport this fetch needs is the bundle file.
          await git(dir, "bundle", "the sandbox's commits could not be read (the bundle is not based on the run's start commit)", ["-c", "protocol.file.allow=always", "fetch", "--quiet", "--no-tags", "--no-recurse-submodules", file, `+HEAD:${ref}`]);
        } finally {
          await rm(file, { force: true });
        }
        const marker = newLogMarker();
        const log = await git(dir, "log", "", ["log", "-p", "--text", "--no-color", "--no-ext-diff", "--no-textconv", logFormat(marker), `${startSha}..${ref}`]);
        return addedText(log, marker);
      }),
    push: (cloneUrl, ref, branch, token) =>
      withMirror(cloneUrl, (dir) =>
        git(
          dir,
          "push",
          `the push to ${branch} was rejected: if someone pushed to the branch meanwhile, mention the bot again to continue on top of it; otherwise check the branch protection rules and the app's contents permission`,
          ["push", "--quiet", cloneUrl, `${ref}:refs/heads/${branch}`],
          gitAuthEnv(token),
        ).then(() => undefined),
      ),
    dropRef: (cloneUrl, ref) => withMirror(cloneUrl, (dir) => git(dir, "update-ref", "", ["update-ref", "-d", ref]).then(() => undefined)),
    withPlumbing: (cloneUrl, fn) => withMirror(cloneUrl, (dir) => fn(plumbing(dir))),
    close: () => rm(root, { recursive: true, force: true }),
  };
}

/** Mirrors of processes that are gone (a crash, kill -9) are removed. */
async function removeDeadProcessesMirrors(base: string): Promise<void> {
  const entries = await readdir(base).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(ROOT_PREFIX)) continue;
    const pid = Number(entry.slice(ROOT_PREFIX.length));
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await rm(join(base, entry), { recursive: true, force: true }).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function proxyEnv(hostEnv: (name: string) => string | undefined): Record<string, string> {
  const names = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "GIT_SSL_CAINFO", "SSL_CERT_FILE"];
  return Object.fromEntries(names.flatMap((name) => {
    const value = hostEnv(name);
    return value ? [[name, value]] : [];
  }));
}
