import type { RepoConfig } from "../config/repo-config.ts";
import { formatDuration, formatUsd } from "./report/format.ts";
import type { BudgetDecision } from "./budget.ts";

/** The limits a run works under, and how they read in the report. Pure. */

/**
 * How long a sandbox lives past the agent's deadline. Claude is stopped at the run's start plus the
 * run's limit (at most SANDBOX_TIMEOUT_SECONDS); what follows — restoring the agent's config,
 * reading the transcript, committing and bundling, pausing — must not find the sandbox already
 * auto-paused, or the next follow-up's reset throws the uncommitted work away.
 */
export const PUBLISH_MARGIN_MS = 5 * 60_000;

/** The lifetime to give a sandbox (on create and on connect) for a deployment's SANDBOX_TIMEOUT_SECONDS. */
export function sandboxLifetimeMs(sandboxTimeoutMs: number): number {
  return sandboxTimeoutMs + PUBLISH_MARGIN_MS;
}

export function minDefined(...values: Array<number | undefined>): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length ? Math.min(...defined) : undefined;
}

export interface LimitsInput {
  runTimeoutMs: number;
  maxTurns: number | undefined;
  maxBudgetUsd: number | undefined;
  config: RepoConfig;
  budget: Extract<BudgetDecision, { allowed: true }>;
  repo: string;
  installationDailyUsd: number | undefined;
}

export function describeLimits(o: LimitsInput): string[] {
  const out = [`${formatDuration(o.runTimeoutMs)} per run`];
  out.push(o.maxTurns ? `${o.maxTurns} turns` : "turns: the CLI's default");
  out.push(o.maxBudgetUsd !== undefined ? `${formatUsd(o.maxBudgetUsd)} for Claude in this run` : "no cost cap per run");
  if (o.config.budget.dailyUsd !== undefined) out.push(`${formatUsd(o.config.budget.dailyUsd)} a day for ${o.repo} (${formatUsd(o.budget.spent.repo)} used before this run)`);
  if (o.installationDailyUsd !== undefined) out.push(`${formatUsd(o.installationDailyUsd)} a day for the installation (${formatUsd(o.budget.spent.installation)} used)`);
  return out;
}

/** The run's spending cap at the model gateway and which limit it is, in the report's words. Pure. */
export function runCap(o: Pick<LimitsInput, "budget" | "repo" | "installationDailyUsd"> & { maxCostUsd: number | undefined; repoDailyUsd: number | undefined }): { capUsd: number | null; reason: string | null } {
  const candidates: Array<{ usd: number; reason: string }> = [];
  if (o.maxCostUsd !== undefined) candidates.push({ usd: o.maxCostUsd, reason: `the repository's maxCostUsd (${formatUsd(o.maxCostUsd)} per run)` });
  if (o.repoDailyUsd !== undefined) {
    const left = o.repoDailyUsd - o.budget.spent.repo;
    candidates.push({ usd: left, reason: `what was left of ${o.repo}'s daily budget (${formatUsd(left)} of ${formatUsd(o.repoDailyUsd)})` });
  }
  if (o.installationDailyUsd !== undefined) {
    const left = o.installationDailyUsd - o.budget.spent.installation;
    candidates.push({ usd: left, reason: `what was left of the installation's daily budget (${formatUsd(left)} of ${formatUsd(o.installationDailyUsd)})` });
  }
  const lowest = candidates.reduce<(typeof candidates)[number] | null>((min, c) => (min === null || c.usd < min.usd ? c : min), null);
  return lowest ? { capUsd: lowest.usd, reason: lowest.reason } : { capUsd: null, reason: null };
}
