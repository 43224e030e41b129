import { expand } from "brace-expansion";

/**
 * What `snapshots.setupInputs` globs mean, and how they are matched: never in the bot's process.
 * A repository member writes them, and a backtracking matcher on the event loop is theirs to
 * stall (brace sets multiply, runs of `*` backtrack). So the braces are expanded here, bounded
 * (brace-expansion's limits), and each alternative goes to git in the sandbox as a `:(glob)`
 * pathspec (`*` within a directory, `**` across them, `?`, `[...]`): git's matcher, in the
 * repository's own sandbox and time.
 */

/** Characters per glob (the schema's limit). */
export const MAX_GLOB_CHARS = 200;
/** Alternatives one glob's braces may expand to. */
export const MAX_ALTERNATIVES = 64;
/** Work the expansion of one glob may do (brace-expansion counts characters scanned and results built). */
const MAX_EXPANSION_STEPS = 100_000;

/** The glob's alternatives (its braces expanded), at most MAX_ALTERNATIVES + 1 so an excess shows. */
export function alternativesOf(glob: string): string[] {
  return expand(glob.slice(0, MAX_GLOB_CHARS), { max: MAX_ALTERNATIVES + 1, maxSteps: MAX_EXPANSION_STEPS });
}

/** A config problem with the glob, or null. */
export function setupInputProblem(glob: string): string | null {
  if (glob.length > MAX_GLOB_CHARS) return `is longer than ${MAX_GLOB_CHARS} characters`;
  if (alternativesOf(glob).length > MAX_ALTERNATIVES) return `expands to more than ${MAX_ALTERNATIVES} alternatives (its braces): list the files instead`;
  return null;
}

/**
 * The pathspecs for `git diff -- …`: one `:(glob)` pathspec per alternative. One that can name no
 * path in the checkout (absolute, or with a `..` segment) is left out: git would refuse it.
 */
export function setupPathspecs(globs: readonly string[]): string[] {
  const specs = new Set<string>();
  for (const glob of globs) {
    for (const alternative of alternativesOf(glob).slice(0, MAX_ALTERNATIVES)) {
      const path = alternative.replace(/^(\.\/)+/, "");
      if (path === "" || path.startsWith("/") || path.split("/").includes("..")) continue;
      specs.add(`:(glob)${path}`);
    }
  }
  return [...specs];
}
