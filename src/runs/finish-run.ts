import type { RunContext } from "./run-context.ts";
import { CANCELED, failed, runStateFor, storedResult, type RunOutcome, type RunSummary } from "./outcome.ts";
import { CanceledError } from "./cancellation.ts";
import { PhaseError } from "./phases.ts";
import { modelCost } from "./model-cost.ts";
import { renderReport } from "./report/render-report.ts";
import { sessionPath } from "./session.ts";

/** The end of a run: its outcome from whatever stopped it, then the stored result, the event, the report. */

/** What an error that ended the run means: a stop (whatever failed after it failed because of it), or the failed phase. */
export function outcomeOfError(ctx: RunContext, error: unknown): RunOutcome {
  if (error instanceof CanceledError || ctx.cancel.signal.aborted) {
    ctx.log.info({ phase: ctx.clock.current }, "run canceled");
    return CANCELED;
  }
  const phaseError = error instanceof PhaseError ? error : new PhaseError(ctx.clock.current ?? "queue", `Unexpected error: ${ctx.redact((error as Error).message)}`, { cause: error, category: "internal" });
  ctx.log.error({ err: error, phase: phaseError.phase, category: phaseError.category }, "run failed");
  return failed(phaseError.phase, phaseError.category, phaseError.message);
}

export async function finishRun(ctx: RunContext, outcome: RunOutcome): Promise<void> {
  const { run, trigger: t, trail, deps, now } = ctx;
  await removeTriggerLabel(ctx);
  // From the sandbox phase's start to here: a snapshot started from or taken (setup-step.ts) is in it.
  const sandboxCostUsd = trail.sandboxStartedAt ? ((now() - trail.sandboxStartedAt) / 1000) * deps.settings.sandboxCostPerSecondUsd : 0;
  const { claudeCostUsd, gatewayCostUsd } = await modelCost(ctx);
  const summary: RunSummary = {
    ...outcome,
    runId: run.id,
    branch: trail.thread.branch,
    branchUrl: `${t.repo.htmlUrl}/tree/${trail.thread.branch}`,
    session: sessionPath(trail.session),
    result: trail.result,
    durationMs: now() - ctx.startedAt,
    phaseMs: ctx.clock.durations(),
    sandboxCostUsd,
    gatewayCostUsd,
    limits: trail.limits,
    ...(outcome.outcome === "no_changes" && t.ci ? { ciLoopEnded: true } : {}),
    model: trail.model,
    ...(trail.steering?.length ? { steering: trail.steering } : {}),
    ...(trail.snapshot && (trail.snapshot.used !== null || trail.snapshot.taken) ? { snapshot: trail.snapshot } : {}),
  };
  await deps.store.updateRun(run.id, {
    state: runStateFor(summary.outcome),
    phase: null,
    finishedAt: new Date(now()).toISOString(),
    error: summary.error ?? null,
    costUsd: claudeCostUsd + sandboxCostUsd,
    result: { ...storedResult(summary), ...(ctx.progress.checkRun.record ? { checkRun: ctx.progress.checkRun.record } : {}) },
  });
  ctx.progress.emit({
    type: "finished",
    runId: run.id,
    repo: t.repo.fullName,
    trigger: t.kind,
    outcome: summary.outcome,
    errorCategory: summary.errorCategory ?? null,
    durationMs: summary.durationMs,
    phaseMs: summary.phaseMs,
    claudeCostUsd,
    sandboxCostUsd,
    at: now(),
  });
  await report(ctx, summary);
  ctx.log.info({ outcome: summary.outcome, pr: summary.pr?.number, ms: summary.durationMs }, "run finished");
}

/**
 * The report replaces the progress comment; the check run then says what happened, even when the
 * report could not be written (a failure then, unless the run published something else).
 */
async function report(ctx: RunContext, summary: RunSummary): Promise<void> {
  const posted = await ctx.progress.finish(renderReport(summary, ctx.redact)).then(
    () => null,
    (error: unknown) => ({ error }),
  );
  await ctx.progress.checkRun.finish(summary, posted === null, ctx.redact);
  if (posted !== null) throw posted.error;
}

/** A label trigger is removed when the run ends, so adding the label again runs again. */
async function removeTriggerLabel(ctx: RunContext): Promise<void> {
  const source = ctx.trigger.source;
  if (source.type !== "label" || !ctx.config.labels.removeFixLabelWhenDone) return;
  await ctx.client.rest.issues.removeLabel({ ...ctx.where, issue_number: ctx.trigger.thread.number, name: source.label }).catch((error: unknown) => {
    if ((error as { status?: number }).status !== 404) ctx.log.warn({ err: error, label: source.label }, "could not remove the trigger label");
  });
}
