import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** git in a directory of a test; its output trimmed. */
export const gitIn = (cwd: string, ...args: string[]): string => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

/** A repository with an identity, on `main`. */
export function initRepo(dir: string): void {
  gitIn(dir, "init", "-q", "-b", "main");
  gitIn(dir, "config", "user.email", "t@example.com");
  gitIn(dir, "config", "user.name", "t");
}

/** Writes the files (directories made), commits them all; the new commit's SHA. */
export function commitFiles(dir: string, files: Record<string, string>, message: string): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  gitIn(dir, "add", "-A");
  gitIn(dir, "commit", "-qm", message);
  return gitIn(dir, "rev-parse", "HEAD");
}
