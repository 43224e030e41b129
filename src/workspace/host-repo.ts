import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GitError } from "./workspace.ts";
import { GIT_NO_PROMPT, gitAuthEnv } from "./git-auth.ts";

/**
 * The bot pushes from its own machine, never from the sandbox. By the time a change is pushed the
 * agent has run in the sandbox and could have left hooks, git config, a wrapper named git or a
 * process reading other processes' environment there — any of which would see a write token.
 * So the sandbox hands over its new commits as a git bundle (data; no token involved), and here a
 * scratch bare repository gets the run's start commit (a shallow fetch with the run's read token,
 * made while Claude works), takes the bundle, and pushes it with the write token.
 */
export interface HostRepo {
  /** Takes the sandbox's bundle (startSha..HEAD); returns the new commits as a patch (messages included). */
  importBundle(bundle: Uint8Array): Promise<string>;
  /** Pushes the imported commits to the branch. Never forces: someone else's commits are kept. */
  push(branch: string, token: string): Promise<void>;
  dispose(): Promise<void>;
}

export interface OpenHostRepoInput {
  cloneUrl: string;
  startSha: string;
  readToken: string;
  /** Where scratch repositories go (default: the OS temp directory). */
  tmpRoot?: string;
}

const PUSH_REF = "refs/heads/csb-push";

export async function openHostRepo(input: OpenHostRepoInput): Promise<HostRepo> {
  const dir = await mkdtemp(join(input.tmpRoot ?? tmpdir(), "csb-push-"));
  // This machine's git, with nothing configured but what each command says.
  const env = { ...proxyEnv(), ...GIT_NO_PROMPT, PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };
  const git = (step: string, hint: string, args: string[], extraEnv: Record<string, string> = {}) =>
    new Promise<string>((resolve, reject) => {
      execFile("git", ["-c", "core.hooksPath=/dev/null", ...args], { cwd: dir, env: { ...env, ...extraEnv }, maxBuffer: 256 * 1024 * 1024, timeout: 10 * 60_000 }, (error, stdout, stderr) => {
        if (error) reject(new GitError(step, { stdout, stderr: stderr || error.message }, hint));
        else resolve(stdout);
      });
    });
  try {
    await git("init", "", ["init", "--bare", "--quiet", "."]);
    await git("fetch", `the run's start commit ${input.startSha.slice(0, 12)} could not be fetched to push from; check that the app can still read this repository`, [
      "fetch", "--quiet", "--no-tags", "--depth=1", input.cloneUrl, input.startSha,
    ], gitAuthEnv(input.readToken));
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    async importBundle(bundle) {
      const file = join(dir, "changes.bundle");
      await writeFile(file, bundle);
      await git("bundle", "the sandbox's commits could not be read (the bundle is not based on the run's start commit)", ["fetch", "--quiet", "--no-tags", file, `HEAD:${PUSH_REF}`]);
      return git("log", "", ["log", "-p", "--format=%B", `${input.startSha}..${PUSH_REF}`]);
    },
    async push(branch, token) {
      await git(
        "push",
        `the push to ${branch} was rejected: if someone pushed to the branch meanwhile, mention the bot again to continue on top of it; otherwise check the branch protection rules and the app's contents permission`,
        ["push", "--quiet", input.cloneUrl, `${PUSH_REF}:refs/heads/${branch}`],
        gitAuthEnv(token),
      );
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** An operator's proxy settings still apply (git reads them from the environment). */
function proxyEnv(): Record<string, string> {
  const names = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "GIT_SSL_CAINFO", "SSL_CERT_FILE"];
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])));
}
