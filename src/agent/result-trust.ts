import type { ResultEvent } from "./stream-events.ts";

/**
 * Whether the figures of a `result` event can be believed. The agent can print to the CLI's
 * stdout (a leftover process, /proc/<pid>/fd/1), so a result line may be forged; one that
 * would move the daily budget backwards, or by an absurd amount, is rejected. Pure.
 */

/** With no per-run cap, no single run is believed to have cost more than this. */
export const MAX_BELIEVABLE_COST_USD = 1000;
/**
 * The CLI checks its cap between turns, so a real run overshoots it by up to one turn's cost
 * (dollars with a large context): a tiny cap never makes a bound below this.
 */
export const MIN_BELIEVABLE_BOUND_USD = 100;

export function maxBelievableCostUsd(runCapUsd: number | undefined): number {
  if (runCapUsd === undefined || !(runCapUsd > 0)) return MAX_BELIEVABLE_COST_USD;
  return Math.min(Math.max(runCapUsd * 10, MIN_BELIEVABLE_BOUND_USD), MAX_BELIEVABLE_COST_USD);
}

export type ResultVerdict = { trusted: true } | { trusted: false; problem: string };

export function judgeResult(event: ResultEvent, runCapUsd: number | undefined): ResultVerdict {
  const cost = event.total_cost_usd;
  const bound = maxBelievableCostUsd(runCapUsd);
  if (!Number.isFinite(cost) || cost < 0) return { trusted: false, problem: `total_cost_usd ${cost} is not a cost` };
  if (cost > bound) return { trusted: false, problem: `total_cost_usd ${cost} is above the believable ${bound} for this run` };
  if (!Number.isInteger(event.num_turns) || event.num_turns < 0) return { trusted: false, problem: `num_turns ${event.num_turns} is not a turn count` };
  if (!Number.isFinite(event.duration_ms) || event.duration_ms < 0) return { trusted: false, problem: `duration_ms ${event.duration_ms} is not a duration` };
  return { trusted: true };
}
