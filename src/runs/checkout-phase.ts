import type { Logger } from "pino";
import type { RunRecord } from "../store/types.ts";
import type { Sandbox } from "../sandbox/types.ts";
import type { HostGit } from "../workspace/host-git.ts";
import { commitsInSandbox, GitError, prepareCheckout, prepareLiveCheckout, type Identity, type PreparedCheckout } from "../workspace/sandbox-git.ts";
import type { CheckoutPlan } from "./checkout-plan.ts";
import { startSandbox, type SandboxPhaseDeps } from "./sandbox-phase.ts";

/**
 * The thread's branch, checked out in the sandbox. A new sandbox clones with the read token (the
 * agent has not been there yet). A live one — the agent's territory since its last run — never
 * sees a token: the bot's machine fetches the remote's branches and hands the sandbox the
 * commits it lacks as a bundle. If the live checkout cannot take them, the run moves to a new
 * sandbox (and the transcript is restored there, like after a lost sandbox).
 */

export interface CheckoutPhaseDeps {
  hostGit: HostGit;
  sandboxes: SandboxPhaseDeps;
  identity: Identity;
  log: Logger;
}

export interface CheckoutPhaseInput {
  run: RunRecord;
  sandbox: Sandbox;
  live: boolean;
  cloneUrl: string;
  readToken: string;
  plan: CheckoutPlan;
  /** The sandbox came from a repository snapshot: its work tree (the setup's output) is kept, not reset. */
  keepWorkTree?: boolean;
}

export async function checkOut(deps: CheckoutPhaseDeps, input: CheckoutPhaseInput): Promise<{ sandbox: Sandbox; checkout: PreparedCheckout; live: boolean }> {
  const { plan, cloneUrl, readToken } = input;
  if (input.live) {
    // The remote's side first: a problem here is the repository's, not the sandbox's.
    const sandboxHas = commitsInSandbox(input.sandbox).catch(() => [] as string[]);
    const { tips, extra } = await deps.hostGit.fetchBranches(cloneUrl, readToken, [plan.branch, plan.base], plan.fetchRef);
    const branchTip = plan.fetchRef ? extra : tips[plan.branch] ?? null;
    const from = branchTip ?? (plan.fetchRef ? null : tips[plan.base] ?? null);
    if (!from) {
      const missing = plan.fetchRef ?? `${plan.branch} (or ${plan.base}, which a new branch starts from)`;
      throw new GitError("checkout", { stdout: "", stderr: `${missing} is not on the remote` }, `the branch ${missing} could not be checked out: does it exist?`);
    }
    try {
      const bundle = await deps.hostGit.bundleFor(cloneUrl, [from, ...(tips[plan.base] ? [tips[plan.base]!] : [])], await sandboxHas);
      const checkout = await prepareLiveCheckout({
        sandbox: input.sandbox,
        bundle,
        branch: plan.branch,
        from,
        branchExisted: branchTip !== null,
        base: { name: plan.base, sha: tips[plan.base] ?? null },
        identity: deps.identity,
        keepWorkTree: input.keepWorkTree ?? false,
      });
      return { sandbox: input.sandbox, checkout, live: true };
    } catch (error) {
      deps.log.warn({ err: error, sandbox: input.sandbox.id }, "the live sandbox's checkout could not be brought up to date; continuing in a new sandbox");
      await input.sandbox.kill().catch(() => undefined);
    }
  }
  const sandbox = input.live ? await startSandbox(deps.sandboxes, input.run) : input.sandbox;
  const checkout = await prepareCheckout({ sandbox, cloneUrl, token: readToken, branch: plan.branch, base: plan.base, fetchRef: plan.fetchRef, identity: deps.identity });
  return { sandbox, checkout, live: false };
}
