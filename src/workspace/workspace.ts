import type { CommandResult, Sandbox } from "../sandbox/types.ts";
import { GIT_NO_PROMPT, gitAuthEnv } from "./git-auth.ts";

/** The checkout inside a sandbox: clone, branch, commit, push. Tokens only ever in a command's env. */

export class GitError extends Error {
  override name = "GitError";
  readonly step: string;
  constructor(step: string, result: CommandResult, hint: string) {
    const detail = (result.stderr || result.stdout).trim().split("\n").slice(-6).join("\n");
    super(`git ${step} failed (exit ${result.exitCode}): ${hint}\n${detail}`);
    this.step = step;
  }
}

export interface Identity {
  name: string;
  email: string;
}

export interface PreparedCheckout {
  branch: string;
  /** The commit the run started from: what the bot compares against to find new commits. */
  startSha: string;
  /** True when the branch already existed on the remote. */
  branchExisted: boolean;
}

async function git(sandbox: Sandbox, args: string[], env: Record<string, string> = {}, cwd = sandbox.workdir): Promise<CommandResult> {
  return sandbox.run(["git", ...args], { cwd, env: { ...GIT_NO_PROMPT, ...env }, timeoutMs: 10 * 60_000 });
}

async function must(sandbox: Sandbox, step: string, hint: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await git(sandbox, args, env);
  if (result.exitCode !== 0) throw new GitError(step, result, hint);
  return result.stdout.trim();
}

export interface PrepareInput {
  sandbox: Sandbox;
  cloneUrl: string;
  token: string;
  branch: string;
  /** What a branch that does not exist yet starts from. */
  base: string;
  /** A ref to fetch into the branch instead of origin/<branch> (a fork's refs/pull/N/head). */
  fetchRef?: string | null;
  identity: Identity;
}

/** Clones (or fetches, when the checkout is already there) and checks out the thread's branch. */
export async function prepareCheckout(input: PrepareInput): Promise<PreparedCheckout> {
  const { sandbox, token } = input;
  const auth = gitAuthEnv(token);
  const hasRepo = (await git(sandbox, ["rev-parse", "--git-dir"])).exitCode === 0;
  if (!hasRepo) {
    await must(sandbox, "clone", "check that the app is installed on this repository and can read its contents", ["clone", "--no-tags", "--quiet", input.cloneUrl, "."], auth);
  } else {
    // A live sandbox from the thread's last run: the remote branch is the truth, whatever a
    // failed or stopped run left behind. Ignored files (node_modules…) are kept.
    await must(sandbox, "reset", "", ["reset", "--hard", "--quiet"]);
    await must(sandbox, "clean", "", ["clean", "-fdq"]);
    await must(sandbox, "fetch", "check that the app can still read this repository", ["fetch", "--quiet", "--no-tags", "--prune", "origin"], auth);
  }
  await must(sandbox, "config", "", ["config", "user.name", input.identity.name]);
  await must(sandbox, "config", "", ["config", "user.email", input.identity.email]);

  let from: string;
  let branchExisted: boolean;
  if (input.fetchRef) {
    await must(sandbox, "fetch", `${input.fetchRef} could not be fetched`, ["fetch", "--quiet", "--no-tags", "origin", input.fetchRef], auth);
    from = "FETCH_HEAD";
    branchExisted = true;
  } else {
    branchExisted = (await git(sandbox, ["rev-parse", "--verify", "--quiet", `refs/remotes/origin/${input.branch}`])).exitCode === 0;
    from = branchExisted ? `origin/${input.branch}` : `origin/${input.base}`;
  }
  await must(sandbox, "checkout", `the branch ${from} could not be checked out (does it exist?)`, ["checkout", "--quiet", "-B", input.branch, from]);
  const startSha = await must(sandbox, "rev-parse", "", ["rev-parse", "HEAD"]);
  return { branch: input.branch, startSha, branchExisted };
}

export interface CommitResult {
  headSha: string;
  /** Commits on top of startSha (Claude's own plus the bot's). */
  newCommits: number;
  files: Array<{ path: string; added: number; removed: number }>;
}

/** Commits whatever Claude left behind, then reports what changed since the run began. */
export async function commitLeftovers(sandbox: Sandbox, startSha: string, message: string): Promise<CommitResult> {
  await must(sandbox, "add", "", ["add", "--all"]);
  const staged = await git(sandbox, ["diff", "--cached", "--quiet"]);
  if (staged.exitCode === 1) {
    await must(sandbox, "commit", "the commit was refused (a pre-commit hook?)", ["commit", "--quiet", "--no-verify", "-m", message]);
  }
  const headSha = await must(sandbox, "rev-parse", "", ["rev-parse", "HEAD"]);
  const count = Number(await must(sandbox, "rev-list", "", ["rev-list", "--count", `${startSha}..HEAD`]));
  const numstat = count > 0 ? await must(sandbox, "diff", "", ["diff", "--numstat", startSha, "HEAD"]) : "";
  const files = numstat
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [added, removed, ...path] = line.split("\t");
      return { path: path.join("\t"), added: Number(added) || 0, removed: Number(removed) || 0 };
    });
  return { headSha, newCommits: count, files };
}

/** The change since startSha as a patch (fork PRs, where nothing is pushed). */
export async function diffSince(sandbox: Sandbox, startSha: string): Promise<string> {
  return must(sandbox, "diff", "", ["diff", "--no-color", startSha, "HEAD"]);
}

/** Pushes the branch with a freshly minted token. Never forces: someone else's commits are kept. */
export async function pushBranch(sandbox: Sandbox, branch: string, token: string): Promise<void> {
  await must(
    sandbox,
    "push",
    `the push to ${branch} was rejected: if someone pushed to the branch meanwhile, mention the bot again to continue on top of it; otherwise check the branch protection rules and the app's contents permission`,
    ["push", "--quiet", "origin", `HEAD:refs/heads/${branch}`],
    gitAuthEnv(token),
  );
}
