import { checkRunBudget } from "./budget.ts";
import { describeLimits, minDefined, runCap } from "./limits.ts";
import { isPhase, PhaseError } from "./phases.ts";
import { MAX_ATTEMPTS } from "./recover.ts";
import type { RunContext } from "./run-context.ts";

/**
 * Whether the run may start, and what it may spend: not after too many restarts, not over a daily
 * budget; its cost cap is the repository's maxCostUsd lowered to what is left of the day's budgets.
 * The limits it runs under go into the trail for the report. Returns the cap (--max-budget-usd) and,
 * for the model gateway, which limit it is.
 */
export interface Allowance {
  maxBudgetUsd: number | undefined;
  cap: { capUsd: number | null; reason: string | null };
}

export async function allowRun(ctx: RunContext): Promise<Allowance> {
  const { run, trigger: t, config, deps } = ctx;
  if (run.attempts > MAX_ATTEMPTS) {
    throw new PhaseError(isPhase(run.phase) ? run.phase : "queue", "The bot was restarted during this run more than once, so it gave up.", { category: "internal" });
  }
  const installationDailyUsd = deps.settings.installationDailyUsd;
  const budget = await checkRunBudget(deps.store, t, installationDailyUsd, ctx.now());
  if (!budget.allowed) throw new PhaseError("queue", budget.message, { category: "budget" });
  const maxBudgetUsd = minDefined(config.maxCostUsd, budget.remainingUsd ?? undefined);
  ctx.trail.limits = describeLimits({ runTimeoutMs: ctx.runTimeoutMs, maxTurns: config.maxTurns ?? deps.settings.maxTurns, maxBudgetUsd, config, budget, repo: t.repo.fullName, installationDailyUsd });
  const cap = runCap({ maxCostUsd: config.maxCostUsd, repoDailyUsd: config.budget.dailyUsd, installationDailyUsd, budget, repo: t.repo.fullName });
  return { maxBudgetUsd, cap };
}
