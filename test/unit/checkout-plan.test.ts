import { describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG, parseRepoConfig, type RepoConfig } from "../../src/config/repo-config.ts";
import type { PullContext } from "../../src/github/thread-context.ts";
import { planCheckout, type CheckoutPlan } from "../../src/runs/checkout-plan.ts";
import type { Trigger } from "../../src/triggers/types.ts";
import { sampleTrigger } from "../support/sample-trigger.ts";

/** planCheckout: which branch a run works on, from what, and whether it pushes or opens a PR. */

const config = (yaml: Record<string, unknown>): RepoConfig => {
  const parsed = parseRepoConfig(yaml);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.config;
};
const onPull = (over: Partial<Trigger> = {}) => sampleTrigger({ thread: { ...sampleTrigger().thread, isPullRequest: true }, ...over });
const sameRepoPull: PullContext = { headRef: "topic", headSha: "abc", baseRef: "develop", fromFork: false, headRepoFullName: "acme/widgets", files: [] };
const forkPull: PullContext = { ...sameRepoPull, headRef: "patch-1", fromFork: true, headRepoFullName: "eve/widgets" };

describe("planCheckout", () => {
  it.each<[string, Trigger, RepoConfig, { branch: string } | null, PullContext | null, string, CheckoutPlan]>([
    ["a new issue thread: a new branch from the default branch, pushed, with a PR",
      sampleTrigger(), DEFAULT_REPO_CONFIG, null, null, "claude/",
      { branch: "claude/issue-12", base: "main", fetchRef: null, push: true, openPull: true }],
    ["a new issue thread under the deployment's BRANCH_PREFIX",
      sampleTrigger(), DEFAULT_REPO_CONFIG, null, null, "bots/",
      { branch: "bots/issue-12", base: "main", fetchRef: null, push: true, openPull: true }],
    ["the repository's branchPrefix wins over the deployment's",
      sampleTrigger(), config({ branchPrefix: "team/ai-" }), null, null, "bots/",
      { branch: "team/ai-issue-12", base: "main", fetchRef: null, push: true, openPull: true }],
    ["a deployment prefix without a separator gets one",
      sampleTrigger(), DEFAULT_REPO_CONFIG, null, null, "bots",
      { branch: "bots/issue-12", base: "main", fetchRef: null, push: true, openPull: true }],
    ["the repository's baseBranch",
      sampleTrigger(), config({ baseBranch: "develop" }), null, null, "claude/",
      { branch: "claude/issue-12", base: "develop", fetchRef: null, push: true, openPull: true }],
    ["a follow-up keeps the thread's branch, whatever the prefix is now",
      sampleTrigger(), config({ branchPrefix: "other/" }), { branch: "claude/issue-12" }, null, "bots/",
      { branch: "claude/issue-12", base: "main", fetchRef: null, push: true, openPull: true }],
    ["a thread record with no branch yet names a new one",
      sampleTrigger(), DEFAULT_REPO_CONFIG, { branch: "" }, null, "claude/",
      { branch: "claude/issue-12", base: "main", fetchRef: null, push: true, openPull: true }],
    ["a run API branch",
      sampleTrigger({ kind: "api", branch: "feature/x" }), DEFAULT_REPO_CONFIG, null, null, "claude/",
      { branch: "feature/x", base: "main", fetchRef: null, push: true, openPull: true }],
    ["the thread's branch wins over a run API branch",
      sampleTrigger({ kind: "api", branch: "feature/x" }), DEFAULT_REPO_CONFIG, { branch: "claude/issue-12" }, null, "claude/",
      { branch: "claude/issue-12", base: "main", fetchRef: null, push: true, openPull: true }],
    ["review mode outside a PR pushes nothing and opens nothing",
      sampleTrigger({ mode: "review" }), DEFAULT_REPO_CONFIG, null, null, "claude/",
      { branch: "claude/issue-12", base: "main", fetchRef: null, push: false, openPull: false }],
    ["a PR from the same repository: its head branch, pushed, no new PR",
      onPull(), DEFAULT_REPO_CONFIG, null, sameRepoPull, "claude/",
      { branch: "topic", base: "develop", fetchRef: null, push: true, openPull: false }],
    ["a PR's base is the PR's, not the repository's baseBranch; its head is not renamed by a prefix or a thread branch",
      onPull(), config({ baseBranch: "release", branchPrefix: "team/" }), { branch: "claude/issue-12" }, sameRepoPull, "bots/",
      { branch: "topic", base: "develop", fetchRef: null, push: true, openPull: false }],
    ["a review of a same-repository PR pushes nothing",
      onPull({ mode: "review" }), DEFAULT_REPO_CONFIG, null, sameRepoPull, "claude/",
      { branch: "topic", base: "develop", fetchRef: null, push: false, openPull: false }],
    ["a PR from a fork: refs/pull/N/head into a local branch, read-only",
      onPull(), DEFAULT_REPO_CONFIG, null, forkPull, "claude/",
      { branch: "pr-12-head", base: "develop", fetchRef: "refs/pull/12/head", push: false, openPull: false }],
    ["a review of a fork's PR",
      onPull({ mode: "review" }), DEFAULT_REPO_CONFIG, null, forkPull, "claude/",
      { branch: "pr-12-head", base: "develop", fetchRef: "refs/pull/12/head", push: false, openPull: false }],
  ])("%s", (_name, trigger, repoConfig, thread, pull, prefix, expected) => {
    expect(planCheckout(trigger, repoConfig, thread, pull, prefix)).toEqual(expected);
  });
});
