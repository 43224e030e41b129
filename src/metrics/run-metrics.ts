import type { RunEvent } from "../runs/run-events.ts";
import { PHASES } from "../runs/phases.ts";

/** How run events become metric updates. Pure: an event in, the updates out. */

export type MetricUpdate =
  | { metric: "runs_started"; labels: { trigger: string }; value: 1 }
  | { metric: "runs_finished"; labels: { outcome: string; trigger: string }; value: 1 }
  | { metric: "run_seconds"; labels: { outcome: string }; value: number }
  | { metric: "phase_seconds"; labels: { phase: string }; value: number }
  | { metric: "cost_usd"; labels: { kind: "claude" | "sandbox" }; value: number };

export function runEventUpdates(event: RunEvent): MetricUpdate[] {
  switch (event.type) {
    case "started":
      return [{ metric: "runs_started", labels: { trigger: event.trigger }, value: 1 }];
    case "finished": {
      const updates: MetricUpdate[] = [
        { metric: "runs_finished", labels: { outcome: event.outcome, trigger: event.trigger }, value: 1 },
        { metric: "run_seconds", labels: { outcome: event.outcome }, value: seconds(event.durationMs) },
      ];
      // In the order the run went through them, so the output is stable.
      for (const phase of PHASES) {
        const ms = event.phaseMs[phase];
        if (typeof ms === "number" && Number.isFinite(ms)) updates.push({ metric: "phase_seconds", labels: { phase }, value: seconds(ms) });
      }
      if (event.claudeCostUsd > 0) updates.push({ metric: "cost_usd", labels: { kind: "claude" }, value: event.claudeCostUsd });
      if (event.sandboxCostUsd > 0) updates.push({ metric: "cost_usd", labels: { kind: "sandbox" }, value: event.sandboxCostUsd });
      return updates;
    }
    default:
      // Phase changes and progress are the dashboard's business; durations arrive with "finished".
      return [];
  }
}

const seconds = (ms: number) => Math.max(0, ms) / 1000;
