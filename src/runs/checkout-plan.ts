import type { RepoConfig } from "../config/repo-config.ts";
import type { PullContext } from "../github/thread-context.ts";
import type { ThreadRecord } from "../store/types.ts";
import { branchPrefixFor, issueBranch } from "../triggers/branch-name.ts";
import type { Trigger } from "../triggers/types.ts";

/** Which branch a run works on, what it starts from, and whether it may push. Pure. */

export interface CheckoutPlan {
  branch: string;
  /** The branch a new thread branch starts from, and a new PR's base. */
  base: string;
  /** A ref to fetch explicitly (a fork's PR head lives only in refs/pull/N/head). */
  fetchRef: string | null;
  /** Fork PRs, review and plan mode: nothing is pushed. */
  push: boolean;
  /** Open a PR for the branch (issue threads) or not (the PR exists). */
  openPull: boolean;
}

/** `deploymentPrefix` is BRANCH_PREFIX: the prefix of a new branch when the repository sets none. */
export function planCheckout(trigger: Trigger, config: RepoConfig, thread: Pick<ThreadRecord, "branch"> | null, pull: PullContext | null, deploymentPrefix: string): CheckoutPlan {
  // Review and plan runs push nothing.
  const review = trigger.mode !== "code";
  if (pull) {
    return {
      branch: pull.fromFork ? `pr-${trigger.thread.number}-head` : pull.headRef,
      base: pull.baseRef,
      fetchRef: pull.fromFork ? `refs/pull/${trigger.thread.number}/head` : null,
      push: !review && !pull.fromFork,
      openPull: false,
    };
  }
  return {
    branch: thread?.branch || trigger.branch || issueBranch(branchPrefixFor(config.branchPrefix, deploymentPrefix), trigger.thread.number),
    base: config.baseBranch ?? trigger.repo.defaultBranch,
    fetchRef: null,
    push: !review,
    openPull: !review,
  };
}
