import { describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../src/config/repo-config.ts";
import { setupPathspecs } from "../../src/config/setup-inputs.ts";

/**
 * Red team (issue 19): `snapshots.setupInputs` globs written by a hostile repository member (write
 * access is enough to change the default branch's config).
 *
 * Was a defect: they were matched in the bot's own process (node:path's matchesGlob, on every file
 * changed since the snapshot), on the event loop that also serves webhooks and every other
 * installation's runs; `{a,b}` sixteen times blocked it ≈ 44 s per changed file, and runs of `a*`
 * backtracked for tens of seconds. Now the bot never matches them: braces are expanded with
 * bounds (brace-expansion's) and git matches the pathspecs in the sandbox
 * (config/setup-inputs.ts; git's semantics: setup-inputs.test.ts).
 */

const config = (setupInputs: string[]) => parseRepoConfig({ setup: ["npm ci"], snapshots: { setupInputs } });

describe("red team: hostile snapshots.setupInputs globs", () => {
  it("globs that name paths outside the checkout become no pathspec at all", () => {
    expect(setupPathspecs(["../**", "/etc/*", "/**/package.json", "../../package.json"])).toEqual([]);
    // More globs than the schema allows are refused with a problem, not matched.
    expect(config(Array.from({ length: 101 }, (_, i) => `dir${i}/**`)).ok).toBe(false);
  });

  it("the config refuses a glob whose braces would expand exponentially", () => {
    expect(config(["{a,b}".repeat(16)]).ok).toBe(false);
    expect(config(["{a,b}".repeat(13)]).ok).toBe(false);
  });

  it("a glob of many stars is accepted and handed to git as it is: nothing here backtracks on it", () => {
    const glob = `${"a*".repeat(10)}b`;
    expect(config([glob]).ok).toBe(true);
    expect(setupPathspecs([glob])).toEqual([`:(glob)${glob}`]);
  });
});
