import type { ConfigFileRef } from "./repo-config-read.ts";
import type { RepoConfigProblem } from "./config-problem.ts";

/**
 * Where `_extends` may point: only the same owner's `.github` repository (`.github`,
 * `<owner>/.github`, optionally `:path/file.yml`). Probot's loader follows it into any repository
 * the installation can read, so a maintainer of one repository could have the bot read another,
 * private one and quote it. One level only: the extended file may not extend further. Pure.
 */

const EXTENDS = /^(?:([A-Za-z\d](?:[A-Za-z\d]|-(?=[A-Za-z\d])){0,38})\/)?\.github(?::([\w.-]+(?:\/[\w.-]+)*\.ya?ml))?$/;

export function resolveExtends(value: unknown, owner: string, defaultPath: string): { ok: true; ref: ConfigFileRef } | { ok: false; problem: RepoConfigProblem } {
  const shown = typeof value === "string" ? `\`${value.slice(0, 80).replace(/`/g, "'")}\`` : "it";
  const refuse = (why: string) => ({ ok: false as const, problem: { path: "_extends", message: `${shown} ${why}` } });
  if (typeof value !== "string") return refuse("must be text: `.github` or `.github:path/file.yml`");
  const match = EXTENDS.exec(value.trim());
  if (!match) return refuse(`is not allowed: \`_extends\` may only name this owner's \`.github\` repository, as \`.github\` or \`.github:path/file.yml\``);
  if (match[1] && match[1].toLowerCase() !== owner.toLowerCase()) return refuse(`names another owner's repository: \`_extends\` may only name ${owner}'s own \`.github\` repository`);
  const path = match[2] ?? defaultPath;
  if (path.split("/").some((segment) => segment === "." || segment === "..")) return refuse("has `.` or `..` in its path");
  return { ok: true, ref: { owner, repo: ".github", path } };
}

export function sameFile(a: ConfigFileRef, b: ConfigFileRef): boolean {
  return a.owner.toLowerCase() === b.owner.toLowerCase() && a.repo.toLowerCase() === b.repo.toLowerCase() && a.path === b.path;
}

export function fileName(ref: ConfigFileRef): string {
  return `${ref.owner}/${ref.repo}:${ref.path}`;
}
