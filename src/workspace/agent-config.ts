import type { Sandbox } from "../sandbox/types.ts";
import { sandboxGit } from "./sandbox-git.ts";

/**
 * On a pull request, the agent's own configuration — CLAUDE.md, .claude/ (settings, hooks,
 * commands), .mcp.json — comes from the base branch, not from the PR's head: otherwise a PR could
 * rewrite the instructions, hooks and MCP servers of the agent that reviews or changes it.
 * While Claude works, git is told to look past the swap (skip-worktree for the head's files,
 * info/exclude for the base's extra ones), so neither Claude's own commits nor the bot's include
 * it. After Claude, the head's versions are put back wherever the base's copy is untouched; a
 * change Claude itself made to those files is kept and committed.
 */
export const AGENT_CONFIG_PATHS = ["CLAUDE.md", "CLAUDE.local.md", ".claude", ".mcp.json"] as const;

export interface PinnedPath {
  path: string;
  /** What the working tree held right after the swap; unchanged after Claude = restore the head's. */
  fingerprint: string;
}

// The bot's own git (the agent may have been in this sandbox before: its config runs nothing here).
const git = (sandbox: Sandbox, args: string[]) => sandboxGit(sandbox, args, 60_000);

async function existsIn(sandbox: Sandbox, ref: string, path: string): Promise<boolean> {
  const out = await git(sandbox, ["ls-tree", "--name-only", ref, "--", path]);
  return out.exitCode === 0 && out.stdout.trim() !== "";
}

/** Every file under the path with its content hash ("" when the path does not exist). */
async function fingerprint(sandbox: Sandbox, path: string): Promise<string> {
  const out = await sandbox.run(["sh", "-c", 'test -e "$1" || exit 0; find "$1" -type f -exec sha1sum {} + | sort', "fingerprint", path], { cwd: sandbox.workdir });
  return out.stdout;
}

/** Replaces the checkout's agent configuration with the base branch's. */
export async function pinAgentConfigToBase(sandbox: Sandbox, baseRef: string): Promise<PinnedPath[]> {
  const pinned: PinnedPath[] = [];
  for (const path of AGENT_CONFIG_PATHS) {
    const inHead = await existsIn(sandbox, "HEAD", path);
    const inBase = await existsIn(sandbox, baseRef, path);
    if (!inHead && !inBase) continue;
    if (inHead && inBase && (await git(sandbox, ["diff", "--no-ext-diff", "--quiet", "HEAD", baseRef, "--", path])).exitCode === 0) continue;
    await sandbox.run(["rm", "-rf", "--", path], { cwd: sandbox.workdir });
    if (inBase) {
      await git(sandbox, ["checkout", baseRef, "--", path]);
      // Unstaged: the index keeps the head's version.
      await git(sandbox, ["reset", "--quiet", "--", path]);
    }
    pinned.push({ path, fingerprint: await fingerprint(sandbox, path) });
  }
  if (pinned.length > 0) await hideFromGit(sandbox, pinned.map((p) => p.path), true);
  return pinned;
}

const EXCLUDE = ".git/info/exclude";
const BEGIN = "# >>> claude-sandbox-bot: agent config pinned to the base branch";
const END = "# <<< claude-sandbox-bot";

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

async function hideFromGit(sandbox: Sandbox, paths: string[], hide: boolean): Promise<void> {
  const tracked = (await git(sandbox, ["ls-files", "--", ...paths])).stdout.split("\n").filter(Boolean);
  if (tracked.length > 0) await git(sandbox, ["update-index", hide ? "--skip-worktree" : "--no-skip-worktree", "--", ...tracked]);
  const excludePath = `${sandbox.workdir}/${EXCLUDE}`;
  const text = (await sandbox.readFile(excludePath)) ?? "";
  // gitignore has no trailing comments: our lines sit in a marked block of their own.
  const without = text.replace(new RegExp(`${escape(BEGIN)}[\\s\\S]*?${escape(END)}\\n?`), "");
  const block = hide ? `${BEGIN}\n${paths.map((p) => `/${p}`).join("\n")}\n${END}\n` : "";
  await sandbox.writeFile(excludePath, `${without.replace(/\n*$/, "\n")}${block}`);
}

/** Puts the head's versions back wherever the working tree still holds exactly the base's copy. */
export async function restoreAgentConfig(sandbox: Sandbox, pinned: readonly PinnedPath[]): Promise<void> {
  if (pinned.length === 0) return;
  await hideFromGit(sandbox, pinned.map((p) => p.path), false);
  for (const { path, fingerprint: before } of pinned) {
    if ((await fingerprint(sandbox, path)) !== before) continue;
    await sandbox.run(["rm", "-rf", "--", path], { cwd: sandbox.workdir });
    if (await existsIn(sandbox, "HEAD", path)) await git(sandbox, ["checkout", "HEAD", "--", path]);
  }
}
