import type { Store } from "../store/types.ts";
import type { Trigger } from "../triggers/types.ts";
import { formatUsd } from "./report/format.ts";

/**
 * Daily budgets: per repository (its config's budget.dailyUsd) and per installation
 * (DAILY_BUDGET_USD_PER_INSTALLATION), kept in the store as the cost of the day's runs (UTC).
 * Over budget, nothing starts; under it, a run may spend at most what is left.
 */

export interface BudgetLimits {
  repoDailyUsd?: number | undefined;
  installationDailyUsd?: number | undefined;
}

export interface BudgetScope {
  repoFullName: string;
  installationId: number;
}

/** checkBudget's arguments for a run: its repository and installation, its config's daily limit and the deployment's. Pure. */
export function runBudget(trigger: Pick<Trigger, "repo" | "installationId" | "config">, installationDailyUsd: number | undefined): { scope: BudgetScope; limits: BudgetLimits } {
  return {
    scope: { repoFullName: trigger.repo.fullName, installationId: trigger.installationId },
    limits: { repoDailyUsd: trigger.config?.budget.dailyUsd, installationDailyUsd },
  };
}

/** The budget decision for a run (see runBudget). */
export function checkRunBudget(store: Pick<Store, "costSince">, trigger: Pick<Trigger, "repo" | "installationId" | "config">, installationDailyUsd: number | undefined, now: number = Date.now()): Promise<BudgetDecision> {
  const { scope, limits } = runBudget(trigger, installationDailyUsd);
  return checkBudget(store, scope, limits, now);
}

export type BudgetDecision =
  | { allowed: true; remainingUsd: number | null; spent: { repo: number; installation: number } }
  | { allowed: false; message: string };

export function startOfUtcDay(now: number): string {
  return `${new Date(now).toISOString().slice(0, 10)}T00:00:00.000Z`;
}

/** Pure: spent so far against the limits. */
export function decideBudget(spent: { repo: number; installation: number }, limits: BudgetLimits, repoFullName: string): BudgetDecision {
  const left: number[] = [];
  if (limits.repoDailyUsd !== undefined) {
    if (spent.repo >= limits.repoDailyUsd) {
      return { allowed: false, message: `${repoFullName} has used its daily budget (${formatUsd(spent.repo)} of ${formatUsd(limits.repoDailyUsd)}), so I did not start anything. It resets at 00:00 UTC; a maintainer can raise \`budget.dailyUsd\` in .github/claude-sandbox-bot.yml.` };
    }
    left.push(limits.repoDailyUsd - spent.repo);
  }
  if (limits.installationDailyUsd !== undefined) {
    if (spent.installation >= limits.installationDailyUsd) {
      return { allowed: false, message: `This organisation's installation has used its daily budget (${formatUsd(spent.installation)} of ${formatUsd(limits.installationDailyUsd)}), so I did not start anything. It resets at 00:00 UTC; the bot's operator can raise DAILY_BUDGET_USD_PER_INSTALLATION.` };
    }
    left.push(limits.installationDailyUsd - spent.installation);
  }
  return { allowed: true, remainingUsd: left.length ? Math.min(...left) : null, spent };
}

export async function checkBudget(store: Pick<Store, "costSince">, scope: BudgetScope, limits: BudgetLimits, now: number = Date.now()): Promise<BudgetDecision> {
  if (limits.repoDailyUsd === undefined && limits.installationDailyUsd === undefined) return { allowed: true, remainingUsd: null, spent: { repo: 0, installation: 0 } };
  const since = startOfUtcDay(now);
  const [repo, installation] = await Promise.all([
    store.costSince({ repoFullName: scope.repoFullName }, since),
    store.costSince({ installationId: scope.installationId }, since),
  ]);
  return decideBudget({ repo, installation }, limits, scope.repoFullName);
}
