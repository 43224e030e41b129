import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SETUP_INPUTS, parseRepoConfig } from "../../src/config/repo-config.ts";
import { MAX_ALTERNATIVES, setupPathspecs } from "../../src/config/setup-inputs.ts";
import { removeDirs, tempDir } from "../support/fake-anthropic/index.ts";
import { commitFiles, gitIn, initRepo } from "../support/git-repo.ts";

/**
 * snapshots.setupInputs as git matches them (config/setup-inputs.ts): the globs become `:(glob)`
 * pathspecs, braces expanded and bounded here, and `git diff` in the sandbox names the changed
 * inputs — the bot's process never runs a glob matcher on a repository's globs.
 */

const made: string[] = [];
afterAll(() => removeDirs(...made));

const CHANGED = [
  "README.md", "src/index.js", "package-lock.json", "packages/a/package.json", "pnpm-lock.yaml", "yarn.lock", "requirements-dev.txt",
  "poetry.lock", "uv.lock", "Cargo.lock", "crates/x/Cargo.toml", "go.sum", "svc/go.mod", "pyproject.toml", "scripts/setup.sh", "web/bower.json",
  "docs/package.json.md", "notpackage.json",
];

/** A repository with every CHANGED file changed between two commits; what git names for these globs. */
let repo = "";
let base = "";
let head = "";
const changed = (globs: readonly string[]) => {
  const specs = setupPathspecs(globs);
  if (specs.length === 0) return [];
  return gitIn(repo, "diff", "--name-only", "-z", base, head, "--", ...specs).split("\0").filter(Boolean).sort();
};

beforeAll(() => {
  repo = tempDir("setup-inputs-");
  made.push(repo);
  initRepo(repo);
  base = commitFiles(repo, { keep: "x\n" }, "base");
  head = commitFiles(repo, Object.fromEntries(CHANGED.map((file) => [file, "changed\n"])), "change");
});

describe("setupInputs matched by git", () => {
  it("the defaults name the lockfiles and manifests at any depth, and nothing else", () => {
    expect(changed(DEFAULT_SETUP_INPUTS)).toEqual(
      ["Cargo.lock", "crates/x/Cargo.toml", "go.sum", "package-lock.json", "packages/a/package.json", "pnpm-lock.yaml", "poetry.lock", "pyproject.toml", "requirements-dev.txt", "svc/go.mod", "uv.lock", "yarn.lock"].sort(),
    );
  });

  it.each<[string[], string[]]>([
    [["scripts/**"], ["scripts/setup.sh"]],
    [["**/{package,bower}.json"], ["packages/a/package.json", "web/bower.json"]],
    [["*.md"], ["README.md"]],
    [["src/*.js", "./go.sum"], ["go.sum", "src/index.js"]],
    [["**/*"], [...CHANGED].sort()],
    // Outside the checkout: never a path git names, left out (git would refuse the pathspec).
    [["../**", "/etc/*", "/**/package.json", "a/../../x"], []],
    [[], []],
  ])("%j → %j", (globs, expected) => {
    expect(changed(globs)).toEqual(expected);
  });

  it("hands git a hostile glob of many stars to match (in the sandbox, bounded by its time), never matching it here", () => {
    const glob = `${"a*".repeat(12)}b`;
    expect(parseRepoConfig({ setup: ["npm ci"], snapshots: { setupInputs: [glob] } }).ok).toBe(true);
    expect(setupPathspecs([glob])).toEqual([`:(glob)${glob}`]);
    expect(changed([glob])).toEqual([]);
  });
});

describe("setupInputs in the config", () => {
  const config = (setupInputs: string[]) => parseRepoConfig({ setup: ["npm ci"], snapshots: { setupInputs } });

  it("refuses a glob whose braces expand past the limit, and a glob past 200 characters, saying why", () => {
    const braces = config(["{a,b}".repeat(13)]);
    expect(braces.ok).toBe(false);
    expect(JSON.stringify(braces)).toContain(`more than ${MAX_ALTERNATIVES} alternatives`);
    const long = config([`${"d/".repeat(101)}x`]);
    expect(long.ok).toBe(false);
    expect(JSON.stringify(long)).toContain("200 characters");
    expect(config(["**/{package,bower}.json", "{a,b}{c,d}{e,f}"]).ok).toBe(true);
  });

  it("expands braces into at most the limit's pathspecs per glob", () => {
    expect(setupPathspecs(["{a,b}{c,d}{e,f}"])).toHaveLength(8);
    expect(setupPathspecs(["{a,b}".repeat(13)]).length).toBeLessThanOrEqual(MAX_ALTERNATIVES);
  });
});
