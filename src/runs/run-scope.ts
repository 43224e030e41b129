import { restoreAgentConfig } from "../workspace/agent-config.ts";
import type { RunContext } from "./run-context.ts";
import { keepForNextRun } from "./sandbox-phase.ts";

/**
 * What a run holds is let go here, whatever the run came to, in this order: the model gateway's
 * token (revoked at once unless the run went well; a finished run's token lasts a short grace),
 * the pinned agent config (the PR's own back in the checkout), the push's mirror, the sandbox
 * (paused for the thread's next run), and the thread's record with what the run learned.
 */
export async function releaseScope(ctx: RunContext, wentWell: boolean): Promise<void> {
  const { scope, trail, log } = ctx;
  await ctx.deps.modelGateway?.closeRun(String(ctx.run.id), wentWell ? "ended" : "revoked").catch((error: unknown) => log.warn({ err: error }, "could not close the run's model gateway token"));
  await releasePin(ctx).catch((error: unknown) => log.warn({ err: error }, "could not put the pull request's agent config back in the sandbox"));
  await (await scope.hostRepo?.catch(() => null))?.dispose();
  scope.hostRepo = null;
  if (scope.sandbox) trail.thread.sandboxId = await keepForNextRun(scope.sandbox, log);
  scope.sandbox = null;
  // A warm Claude only follows a run that went well into the sandbox kept for the next one.
  if (!wentWell || !trail.thread.sandboxId) ctx.deps.warm?.drop(ctx.run.threadKey);
  await ctx.deps.store.saveThread(trail.thread);
}

/** Puts the head's agent config back (before publishing, and on release if the run never got there). */
export async function releasePin(ctx: RunContext): Promise<void> {
  const pinned = ctx.scope.pinned;
  if (!pinned) return;
  ctx.scope.pinned = null;
  await restoreAgentConfig(pinned.sandbox, pinned.paths);
}
