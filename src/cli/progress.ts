import { formatDuration } from "../runs/report/format.ts";
import { isPhase, PHASE_LABEL } from "../runs/phases.ts";
import { FINISHED_STATES as RUN_FINISHED_STATES } from "../runs/outcome.ts";
import type { RemoteRun } from "./client.ts";

/** What the CLI prints while it waits and when the run is over, and its exit code. Pure. */

export const FINISHED_STATES: ReadonlySet<string> = new Set<string>(RUN_FINISHED_STATES);

/** The bot's own words for a phase, for the one it reports (an unknown one is shown as is). */
const phaseLabel = (phase: string) => (isPhase(phase) ? PHASE_LABEL[phase] : phase);

export function formatUsd(usd: number): string {
  return usd > 0 && usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** A progress line when the state or phase changed since `previous` (null: the first look); else null. */
export function progressLine(previous: Pick<RemoteRun, "state" | "phase"> | null, current: Pick<RemoteRun, "state" | "phase">, elapsedMs: number): string | null {
  if (previous && previous.state === current.state && previous.phase === current.phase) return null;
  if (FINISHED_STATES.has(current.state)) return null;
  const phase = current.phase ? ` · ${current.phase} (${phaseLabel(current.phase)})` : "";
  return `[${formatDuration(elapsedMs).padStart(6)}] ${current.state}${phase}`;
}

/** The final summary, a few lines. */
export function summaryLines(run: RemoteRun): string[] {
  const lines: string[] = [];
  switch (run.state) {
    case "succeeded":
      lines.push(run.outcome === "no_changes" ? `⚪ Run ${run.id} done — no changes, so no pull request.` : `✅ Run ${run.id} done${run.pr ? ` — pull request #${run.pr.number}: ${run.pr.url}` : "."}`);
      break;
    case "failed":
      lines.push(`❌ Run ${run.id} failed${run.failedPhase ? ` in ${run.failedPhase}` : ""}: ${run.error ?? "no reason recorded"}`);
      break;
    case "canceled":
      lines.push(`⏹️ Run ${run.id} was canceled.`);
      break;
    default:
      lines.push(`Run ${run.id} is ${run.state}.`);
  }
  const facts = [
    run.durationMs !== null ? `duration ${formatDuration(run.durationMs)}` : null,
    `cost ${formatUsd(run.costUsd)}`,
    typeof run.turns === "number" ? `turns ${run.turns}` : null,
    run.sessionId ? `session ${run.sessionId}` : null,
  ].filter(Boolean);
  lines.push(`   ${facts.join(" · ")}`);
  if (run.state === "succeeded" || run.state === "failed") lines.push(`   continue the conversation: claude-sandbox-bot resume ${run.id} "…"`);
  return lines;
}

/** 0 done or no changes, 1 failed, 130 canceled (like a Ctrl-C). */
export function exitCodeFor(run: Pick<RemoteRun, "state">): number {
  if (run.state === "succeeded") return 0;
  if (run.state === "canceled") return 130;
  return 1;
}

/** `runs` as an aligned table. */
export function runsTable(runs: RemoteRun[]): string[] {
  if (runs.length === 0) return ["No runs."];
  const rows = [
    ["RUN", "STATE", "REPOSITORY", "THREAD", "TRIGGER", "WHO", "CREATED", "DURATION", "COST"],
    ...runs.map((r) => [
      String(r.id),
      r.state === "succeeded" && r.outcome === "no_changes" ? "no changes" : r.phase && !FINISHED_STATES.has(r.state) ? `${r.state}/${r.phase}` : r.state,
      r.repo,
      r.thread.number === null ? "api" : `#${r.thread.number}`,
      r.trigger.kind,
      r.trigger.actor,
      r.createdAt.replace("T", " ").slice(0, 19),
      r.durationMs === null ? "—" : formatDuration(r.durationMs),
      formatUsd(r.costUsd),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
}
