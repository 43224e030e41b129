import type { RepoConfigProblem } from "./config-problem.ts";

/**
 * Bounds on a repository's config file, which anyone who can push to the default branch writes:
 * every step from reading it to the reply's "did you mean" runs on the event loop, so each is
 * bounded by these constants rather than by the file. A real config is a few hundred bytes.
 */

/** Bytes read of one file; a bigger file is refused unread beyond this. */
export const MAX_CONFIG_BYTES = 64 * 1024;
/** Keys plus list items in the parsed file (aliases expanded). */
export const MAX_CONFIG_NODES = 2_000;
/** Mappings and lists inside each other (mcpServers.<name>.env.<KEY> is 4). */
export const MAX_CONFIG_DEPTH = 10;
/** Characters in one key. */
export const MAX_KEY_LENGTH = 128;
/** YAML aliases resolved while parsing (the yaml package's own default, stated so it stays). */
export const MAX_YAML_ALIASES = 100;
/** Problems worked out in detail and listed; the rest are counted. */
export const MAX_PROBLEMS = 20;
/** Keys longer than this get no "did you mean" (the schema's longest key is 22 characters). */
export const MAX_SUGGESTION_KEY_LENGTH = 40;

/**
 * The first bound the parsed value breaks, or undefined. Iterative and stops at the first breach,
 * so its cost is bounded by MAX_CONFIG_NODES whatever the value. Pure.
 */
export function shapeProblem(value: unknown): RepoConfigProblem | undefined {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth >= MAX_CONFIG_DEPTH) return { path: "", message: `nests mappings and lists more than ${MAX_CONFIG_DEPTH} levels deep; a config needs at most 4` };
    const entries = Array.isArray(current) ? current.map((v) => ["", v] as const) : Object.entries(current as Record<string, unknown>);
    for (const [key, child] of entries) {
      if (++nodes > MAX_CONFIG_NODES) return { path: "", message: `has more than ${MAX_CONFIG_NODES} keys and list items; a config needs a few dozen` };
      if (key.length > MAX_KEY_LENGTH) return { path: "", message: `has a key longer than ${MAX_KEY_LENGTH} characters (it starts \`${key.slice(0, 20).replace(/[`\s]/g, "?")}\`)` };
      stack.push({ value: child, depth: depth + 1 });
    }
  }
  return undefined;
}
