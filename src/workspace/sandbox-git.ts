import type { CommandResult, Sandbox } from "../sandbox/types.ts";
import { addedText, logFormat, newLogMarker, type AddedText } from "./added-text.ts";
import { authHeader, GIT_NO_PROMPT } from "./git-auth.ts";
import { SAFE_GIT_ENV, safeGitShellArgs, sandboxGitPrelude } from "./safe-git.ts";

/**
 * The checkout inside a sandbox: a new sandbox's clone (the only git command in a sandbox that
 * ever gets a token), bringing a live sandbox up to date from a bundle, the commit and the bundle
 * of new commits. Fetches and the push for everything else happen on the bot's machine (host-git.ts).
 */

export class GitError extends Error {
  override name = "GitError";
  readonly step: string;
  constructor(step: string, result: Pick<CommandResult, "stdout" | "stderr">, hint: string) {
    const detail = (result.stderr || result.stdout).trim().split("\n").slice(-6).join("\n");
    super(`git ${step} failed${hint ? ` — ${hint}` : ""}\n${detail}`);
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

/**
 * One git command of the bot's in the sandbox, run the safe way (safe-git.ts): the agent's config,
 * includes and filters run nothing. For an agent-config step or a diff; phases use the scripts below.
 */
export async function sandboxGit(sandbox: Sandbox, args: string[], timeoutMs = 10 * 60_000): Promise<CommandResult> {
  const body = `${sandboxGitPrelude()}neutralise || exit 13\ng "$@"\n`;
  return sandbox.run(["sh", "-c", body, "csb", ...args], { cwd: sandbox.workdir, env: { ...GIT_NO_PROMPT, ...SAFE_GIT_ENV }, timeoutMs });
}

async function must(sandbox: Sandbox, step: string, hint: string, args: string[]): Promise<string> {
  const result = await sandboxGit(sandbox, args);
  if (result.exitCode !== 0) throw new GitError(step, result, hint);
  return result.stdout.trim();
}

/**
 * Runs one of the scripts below in one sandbox command (each git call as its own command costs a
 * process spawn, and with E2B a network round trip). A failing step exits with its own code;
 * `steps` names it and says what to do.
 */
async function script(sandbox: Sandbox, body: string, args: string[], env: Record<string, string>, steps: Record<number, [string, string]>): Promise<string> {
  const result = await sandbox.run(["sh", "-c", body, "csb", ...args], { cwd: sandbox.workdir, env: { ...GIT_NO_PROMPT, ...SAFE_GIT_ENV, ...env }, timeoutMs: 10 * 60_000 });
  if (result.exitCode === 0) return result.stdout;
  const [step, hint] = { 13: ["attributes", "the bot could not set the checkout's info/attributes aside"] as [string, string], ...steps }[result.exitCode] ?? ["command", `exit ${result.exitCode}`];
  throw new GitError(step, result, hint);
}

/**
 * Nothing the agent could have configured runs in the bot's git commands: not hooks, not the
 * commands git config names (fsmonitor, filters, diff drivers, gpg, credential helpers…), whether
 * in .git/config, a file it includes, ~/.gitconfig or /etc/gitconfig (safe-git.ts: `g`, and
 * `neutralise` for the filters .gitattributes choose). The token reaches only the clone and fetch
 * of a new sandbox, through CSB_GIT_AUTH → GIT_CONFIG_* (never argv, never a file); it is unset
 * before anything else runs.
 */
const SCRIPT_PRELUDE = `${sandboxGitPrelude()}net() { GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader GIT_CONFIG_VALUE_0="$CSB_GIT_AUTH" git ${safeGitShellArgs()} "$@"; }
`;

/**
 * A new sandbox only (a live one gets its commits as a bundle: prepareLiveCheckout). $1 clone URL,
 * $2 branch, $3 base, $4 ref to fetch instead (or ""), $5/$6 identity. Prints "<existed 0|1> <sha>".
 */
const PREPARE_SCRIPT = `${SCRIPT_PRELUDE}
if g rev-parse --git-dir >/dev/null 2>&1; then echo "the sandbox already holds a checkout" >&2; exit 18; fi
net clone --no-tags --quiet "$1" . || exit 10
if [ -n "$4" ]; then net fetch --quiet --no-tags "$1" "$4" || exit 15; fi
unset CSB_GIT_AUTH
neutralise || exit 13
g config user.name "$5" && g config user.email "$6" || exit 14
if [ -n "$4" ]; then from=FETCH_HEAD; existed=1
elif g rev-parse --verify --quiet "refs/remotes/origin/$2" >/dev/null; then from="origin/$2"; existed=1
else from="origin/$3"; existed=0
fi
g checkout --quiet -B "$2" "$from" || exit 16
sha=$(g rev-parse HEAD) || exit 17
echo "$existed $sha"
`;

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

/** Clones into a new sandbox (with the read token: the agent has not been there) and checks out the thread's branch. */
export async function prepareCheckout(input: PrepareInput): Promise<PreparedCheckout> {
  const out = await script(
    input.sandbox,
    PREPARE_SCRIPT,
    [input.cloneUrl, input.branch, input.base, input.fetchRef ?? "", input.identity.name, input.identity.email],
    { CSB_GIT_AUTH: authHeader(input.token) },
    {
      10: ["clone", "check that the app is installed on this repository and can read its contents"],
      14: ["config", ""],
      15: ["fetch", `${input.fetchRef} could not be fetched`],
      16: ["checkout", `the branch ${input.branch} (or ${input.base}, which a new branch starts from) could not be checked out: does it exist?`],
      17: ["rev-parse", ""],
      18: ["clone", "a new sandbox was expected"],
    },
  );
  const [existed, startSha] = out.trim().split(/\s+/);
  return { branch: input.branch, startSha: startSha ?? "", branchExisted: existed === "1" };
}

/** The commits a live sandbox's checkout already has (its branches and HEAD): what a bundle into it can leave out. */
export async function commitsInSandbox(sandbox: Sandbox): Promise<string[]> {
  const out = await script(sandbox, `${SCRIPT_PRELUDE}
g rev-parse --git-dir >/dev/null 2>&1 || exit 0
g for-each-ref --format='%(objectname)' refs/heads refs/remotes
g rev-parse --verify --quiet HEAD
exit 0
`, [], {}, {});
  return [...new Set(out.split("\n").map((l) => l.trim()).filter((l) => /^[0-9a-f]{40,64}$/.test(l)))];
}

/**
 * $1 bundle path or "", $2 branch, $3 the commit to check it out at, $4 existed (0|1), $5/$6
 * identity, $7/$8 the base branch and its tip (for the remote-tracking ref), $9 "keep" to leave the
 * work tree as it is (a sandbox from a snapshot: what the setup made, tracked or not, stays as
 * after a fresh clone's setup; a checkout it would overwrite fails, and the run clones instead).
 * No token: what the remote has came in the bundle, fetched on the bot's machine.
 */
const LIVE_SCRIPT = `${SCRIPT_PRELUDE}
g rev-parse --git-dir >/dev/null 2>&1 || exit 18
neutralise || exit 13
if [ -n "$1" ]; then g bundle unbundle "$1" >/dev/null || exit 19; rm -f "$1"; fi
g cat-file -e "$3^{commit}" || exit 19
if [ "$9" != keep ]; then g reset --hard --quiet || exit 11; g clean -fdq || exit 12; fi
g config user.name "$5" && g config user.email "$6" || exit 14
if [ "$4" = 1 ]; then g update-ref "refs/remotes/origin/$2" "$3" || exit 17; fi
if [ -n "$8" ]; then g update-ref "refs/remotes/origin/$7" "$8" || exit 17; fi
g checkout --quiet -B "$2" "$3" || exit 16
# After the checkout: moving the branch HEAD is on would leave the work tree behind it.
if [ "$9" = keep ] && [ -n "$8" ] && [ "$2" != "$7" ]; then g update-ref "refs/heads/$7" "$8" || exit 17; fi
echo "$4 $3"
`;

export interface LiveCheckoutInput {
  sandbox: Sandbox;
  /** The remote's new commits for this sandbox (null: it has them all already). */
  bundle: Uint8Array | null;
  branch: string;
  /** The commit the branch starts from: its remote tip, or the base's tip (or the fork PR's head). */
  from: string;
  branchExisted: boolean;
  base: { name: string; sha: string | null };
  identity: Identity;
  /** A sandbox from a snapshot: no reset, no clean (see LIVE_SCRIPT). */
  keepWorkTree?: boolean;
}

/**
 * A follow-up in the thread's live sandbox: the checkout is reset to what the remote has (its new
 * commits handed in as a bundle; ignored files such as node_modules are kept). Throws a GitError
 * when the sandbox's checkout cannot take it; the caller then starts over in a new sandbox.
 */
export async function prepareLiveCheckout(input: LiveCheckoutInput): Promise<PreparedCheckout> {
  const bundlePath = input.bundle ? `${input.sandbox.homeDir}/.csb-remote.bundle` : "";
  if (input.bundle) await input.sandbox.writeFile(bundlePath, input.bundle);
  const out = await script(
    input.sandbox,
    LIVE_SCRIPT,
    [bundlePath, input.branch, input.from, input.branchExisted ? "1" : "0", input.identity.name, input.identity.email, input.base.name, input.base.sha ?? "", input.keepWorkTree ? "keep" : ""],
    {},
    {
      11: ["reset", ""],
      12: ["clean", ""],
      14: ["config", ""],
      16: ["checkout", `the branch ${input.branch} could not be checked out`],
      17: ["update-ref", ""],
      18: ["rev-parse", "the sandbox no longer holds a checkout"],
      19: ["bundle", "the sandbox's checkout could not take the remote's new commits"],
    },
  );
  const [existed, startSha] = out.trim().split(/\s+/);
  return { branch: input.branch, startSha: startSha ?? "", branchExisted: existed === "1" };
}

/**
 * $1 the default branch, $2 the thread's branch, $3 the commit both are at. Before a snapshot:
 * only what a fresh clone of the default branch has (its branch checked out, no thread branch, no
 * reflog naming one), so no thread's name or commits reach another thread.
 */
const SNAPSHOT_CLEAN_SCRIPT = `${SCRIPT_PRELUDE}
g rev-parse --git-dir >/dev/null 2>&1 || exit 18
g checkout --quiet -B "$1" "$3" || exit 16
if [ "$2" != "$1" ]; then g branch -q -D "$2" || exit 16; fi
rm -rf "$(g rev-parse --git-dir)/logs" || exit 16
g cat-file -e "$3^{commit}" || exit 19
`;

/** $1 the thread's branch, $2 the commit: the run's checkout again after the snapshot. */
const SNAPSHOT_RESTORE_SCRIPT = `${SCRIPT_PRELUDE}
g checkout --quiet -B "$1" "$2" || exit 16
`;

/** Brings the checkout to the state a snapshot keeps (SNAPSHOT_CLEAN_SCRIPT), or — afterwards — back to the thread's branch. */
export async function snapshotCheckout(sandbox: Sandbox, step: "clean" | "restore", input: { base: string; branch: string; sha: string }): Promise<void> {
  const steps: Record<number, [string, string]> = { 16: ["checkout", "the checkout could not be switched for the snapshot"], 18: ["rev-parse", "no checkout"], 19: ["cat-file", ""] };
  if (step === "clean") await script(sandbox, SNAPSHOT_CLEAN_SCRIPT, [input.base, input.branch, input.sha], {}, steps);
  else await script(sandbox, SNAPSHOT_RESTORE_SCRIPT, [input.branch, input.sha], {}, steps);
}

export interface CommitResult {
  headSha: string;
  /** Commits on top of startSha (Claude's own plus the bot's). */
  newCommits: number;
  files: Array<{ path: string; added: number; removed: number }>;
}

/** $1 start SHA, $2 message, $3 bundle path or "". Prints "<head> <count>", then the numstat. */
const COMMIT_SCRIPT = `${SCRIPT_PRELUDE}
neutralise || exit 13
g add --all || exit 20
if ! g diff --no-ext-diff --cached --quiet; then g commit --quiet --no-verify -m "$2" || exit 21; fi
head=$(g rev-parse HEAD) || exit 22
count=$(g rev-list --count "$1..HEAD") || exit 23
echo "$head $count"
if [ "$count" -gt 0 ]; then
  g diff --no-ext-diff --no-textconv --numstat "$1" HEAD || exit 24
  if [ -n "$3" ]; then g bundle create -q "$3" "$1..HEAD" || exit 25; fi
fi
exit 0
`;

/**
 * Commits whatever Claude left behind and reports what changed since the run began. With
 * `bundlePath`, also writes the new commits there as a git bundle, for the bot to push from its
 * own machine.
 */
export async function commitLeftovers(sandbox: Sandbox, startSha: string, message: string, bundlePath = ""): Promise<CommitResult> {
  const out = await script(sandbox, COMMIT_SCRIPT, [startSha, message, bundlePath], {}, {
    20: ["add", ""],
    21: ["commit", "the commit was refused"],
    22: ["rev-parse", ""],
    23: ["rev-list", `the run's start commit ${startSha} is no longer in the branch's history`],
    24: ["diff", ""],
    25: ["bundle", ""],
  });
  const [first = "", ...numstat] = out.split("\n");
  const [headSha = "", count = "0"] = first.trim().split(/\s+/);
  const files = numstat
    .filter(Boolean)
    .map((line) => {
      const [added, removed, ...path] = line.split("\t");
      return { path: path.join("\t"), added: Number(added) || 0, removed: Number(removed) || 0 };
    });
  return { headSha, newCommits: Number(count), files };
}

/** The change since startSha as a patch (fork PRs, where nothing is pushed). */
export async function diffSince(sandbox: Sandbox, startSha: string): Promise<string> {
  return must(sandbox, "diff", "", ["diff", "--no-color", "--no-ext-diff", "--no-textconv", startSha, "HEAD"]);
}

/** What the new commits add, messages included (what the secret check reads when nothing is pushed from the bot's machine). */
export async function logSince(sandbox: Sandbox, startSha: string): Promise<AddedText> {
  const marker = newLogMarker();
  return addedText(await must(sandbox, "log", "", ["log", "-p", "--text", "--no-color", "--no-ext-diff", "--no-textconv", logFormat(marker), `${startSha}..HEAD`]), marker);
}
