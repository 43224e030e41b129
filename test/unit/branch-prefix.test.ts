import { generateKeyPairSync } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config/env.ts";
import { DEFAULT_REPO_CONFIG, parseRepoConfig, type RepoConfig } from "../../src/config/repo-config.ts";
import { planCheckout } from "../../src/runs/checkout-plan.ts";
import { apiBranch, branchPrefixFor, issueBranch } from "../../src/triggers/branch-name.ts";
import { sampleTrigger } from "../support/sample-trigger.ts";

/**
 * BRANCH_PREFIX is the deployment's prefix for every branch the bot creates; a repository's
 * `branchPrefix` overrides it. It used to be documented and never read: every branch was named
 * from the repository config's own default, `claude/`.
 */

const trigger = sampleTrigger;

const repoConfig = (yaml: Record<string, unknown>): RepoConfig => {
  const parsed = parseRepoConfig(yaml);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.config;
};

describe("BRANCH_PREFIX", () => {
  it("is read from the environment, `claude/` when unset", () => {
    const base = { APP_ID: "1", WEBHOOK_SECRET: "s", SANDBOX_PROVIDER: "local", ANTHROPIC_API_KEY: "k" };
    const key = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(readConfig({ ...base, PRIVATE_KEY: key }).BRANCH_PREFIX).toBe("claude/");
    expect(readConfig({ ...base, PRIVATE_KEY: key, BRANCH_PREFIX: "bots/" }).BRANCH_PREFIX).toBe("bots/");
  });

  it("names a new issue thread's branch when the repository sets no branchPrefix", () => {
    expect(DEFAULT_REPO_CONFIG.branchPrefix).toBeUndefined();
    expect(planCheckout(trigger(), DEFAULT_REPO_CONFIG, null, null, "bots/").branch).toBe("bots/issue-12");
    expect(planCheckout(trigger(), DEFAULT_REPO_CONFIG, null, null, "claude/").branch).toBe("claude/issue-12");
  });

  it("gives way to the repository's branchPrefix", () => {
    const config = repoConfig({ branchPrefix: "team/ai-" });
    expect(config.branchPrefix).toBe("team/ai-");
    expect(planCheckout(trigger(), config, null, null, "bots/").branch).toBe("team/ai-issue-12");
    expect(branchPrefixFor(config.branchPrefix, "bots/")).toBe("team/ai-");
    expect(branchPrefixFor(undefined, "bots/")).toBe("bots/");
  });

  it("does not rename a thread's existing branch, a named API branch or a pull request's head", () => {
    expect(planCheckout(trigger(), DEFAULT_REPO_CONFIG, { branch: "claude/issue-12" }, null, "bots/").branch).toBe("claude/issue-12");
    expect(planCheckout(trigger({ branch: "feature/x" }), DEFAULT_REPO_CONFIG, null, null, "bots/").branch).toBe("feature/x");
    const pull = { headRef: "topic", headSha: "abc", baseRef: "main", fromFork: false, headRepoFullName: "acme/widgets", files: [] };
    expect(planCheckout(trigger({ thread: { ...trigger().thread, isPullRequest: true } }), DEFAULT_REPO_CONFIG, null, pull, "bots/").branch).toBe("topic");
  });

  it("names run API branches, kept usable in git", () => {
    expect(apiBranch("bots/", "1a2b3c4d")).toBe("bots/api-1a2b3c4d");
    expect(apiBranch("bots", "1a2b3c4d")).toBe("bots/api-1a2b3c4d");
    expect(issueBranch("../we ird//x", 3)).toBe("we-ird/x/issue-3");
    expect(issueBranch("-x", 3)).toBe("x/issue-3");
  });

  it("is the only source of a branch name: no `claude/` branch literal is left in src outside the defaults", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
    const src = join(import.meta.dirname, "../../src");
    // The defaults themselves (env schema, its docs, the repo config's docs-only default text).
    const defaults = new Set(["config/env-schema.ts", "config/env-docs.ts", "config/repo-config.ts"]);
    const offenders = files(src)
      .filter((f) => !defaults.has(relative(src, f)))
      .flatMap((f) =>
        readFileSync(f, "utf8")
          .split("\n")
          .map((line, i) => ({ line, where: `${relative(src, f)}:${i + 1}` }))
          // A string that starts with the old prefix; `.claude/` (the agent's config directory) is not a branch.
          .filter(({ line }) => /["'`]claude\//.test(line)),
      )
      .map((x) => x.where);
    expect(offenders).toEqual([]);
  });
});
