import type { RunRecord } from "../store/types.ts";
import { runAgent } from "./agent-step.ts";
import { finishRun, outcomeOfError } from "./finish-run.ts";
import type { RunOutcome } from "./outcome.ts";
import { publishCode } from "./publish.ts";
import { publishReview } from "./publish-review.ts";
import { publishPlan } from "./publish-plan.ts";
import { allowRun } from "./run-allowance.ts";
import { openRun, type RunContext } from "./run-context.ts";
import type { RunJobDeps } from "./run-deps.ts";
import { releaseScope } from "./run-scope.ts";
import { prepareWorkspace } from "./workspace-step.ts";

export type { RunJobDeps } from "./run-deps.ts";

/**
 * One run, step by step: allow (attempts, budgets) → prepare the workspace (sandbox, clone, setup)
 * → the agent → publish (code or review) → finish (stored result, report). Whatever the steps come
 * to, what the run holds (run-scope.ts) is released before it finishes.
 */
export async function runJob(deps: RunJobDeps, run: RunRecord, externalSignal?: AbortSignal): Promise<void> {
  const ctx = await openRun(deps, run, externalSignal);
  let outcome: RunOutcome | undefined;
  try {
    outcome = await runSteps(ctx);
  } catch (error) {
    outcome = outcomeOfError(ctx, error);
  } finally {
    ctx.cancel.dispose();
    await releaseScope(ctx, outcome !== undefined && (outcome.outcome === "done" || outcome.outcome === "no_changes"));
  }
  if (ctx.cancel.handedBack) {
    // Already "queued" again by the shutting-down worker: the next one picks it up and edits the same comment.
    ctx.log.info("run handed back to the queue at shutdown");
    return;
  }
  await finishRun(ctx, outcome);
}

async function runSteps(ctx: RunContext): Promise<RunOutcome> {
  const allowance = await allowRun(ctx);
  const workspace = await prepareWorkspace(ctx);
  const claude = await runAgent(ctx, workspace, allowance);
  await ctx.progress.enter("publish");
  const mode = ctx.trigger.mode;
  return mode === "review" ? publishReview(ctx, workspace, claude) : mode === "plan" ? publishPlan(ctx, workspace.sandbox, claude) : publishCode(ctx, workspace, claude);
}
