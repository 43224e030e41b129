/**
 * The branches the bot names. Pure. A repository's `branchPrefix` wins; otherwise the deployment's
 * BRANCH_PREFIX (default in src/config/env.ts) is the prefix of every branch the bot creates.
 */

/** The prefix in force for a repository: its own `branchPrefix`, else the deployment's BRANCH_PREFIX. */
export function branchPrefixFor(repoPrefix: string | undefined, deploymentPrefix: string): string {
  return repoPrefix ?? deploymentPrefix;
}

/** Keeps only characters git allows in a branch name, and ends the prefix with `/` or `-`. */
function cleanPrefix(prefix: string): string {
  const clean = prefix.replace(/[^A-Za-z0-9._/-]/g, "-").replace(/\.{2,}/g, ".").replace(/\/{2,}/g, "/").replace(/^[/.-]+/, "");
  return clean === "" || clean.endsWith("/") || clean.endsWith("-") ? clean : `${clean}/`;
}

/** The branch an issue thread's work lives on. */
export function issueBranch(prefix: string, issueNumber: number): string {
  return `${cleanPrefix(prefix)}issue-${issueNumber}`;
}

/** The branch a run API run without an issue or a named branch works on. */
export function apiBranch(prefix: string, id: string): string {
  return `${cleanPrefix(prefix)}api-${id}`;
}
