import { FINISHED_STATES, parseStoredResult, type Outcome } from "../runs/outcome.ts";
import type { RunRecord, RunState } from "../store/types.ts";
import { redactJson, type TextRedactor } from "./redact-display.ts";

/** A run as the run API answers and the dashboard shows it: redacted, with the stored result parsed. Pure. */

export const RUN_STATES = ["received", "queued", "running", "succeeded", "failed", "canceled"] as const satisfies readonly RunState[];

export interface RunView {
  id: number;
  repo: string;
  threadKey: string;
  thread: { number: number | null; title: string; url: string; isPullRequest: boolean };
  trigger: { kind: string; actor: string; mode: string; branch: string | null };
  prompt: string;
  state: RunState;
  phase: string | null;
  attempts: number;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Finished: start to finish; running: so far; else null. */
  durationMs: number | null;
  costUsd: number;
  claudeCostUsd: number | null;
  turns: number | null;
  sessionId: string | null;
  outcome: Outcome | null;
  failedPhase: string | null;
  errorCategory: string | null;
  pr: { number: number; url: string } | null;
  error: string | null;
  /** The stored summary (outcome, phases, cost, Claude's result event), redacted. */
  result: unknown;
}

export function runView(run: RunRecord, redact: TextRedactor, now: number, options: { detail?: boolean } = {}): RunView {
  const detail = options.detail ?? true;
  const result = parseStoredResult(run.result);
  const t = run.trigger;
  const start = run.startedAt ? Date.parse(run.startedAt) : null;
  const end = run.finishedAt ? Date.parse(run.finishedAt) : FINISHED_STATES.has(run.state) ? null : now;
  return {
    id: run.id,
    repo: run.repoFullName,
    threadKey: run.threadKey,
    thread: {
      number: t.thread.number > 0 ? t.thread.number : null,
      title: redact(t.thread.title),
      url: t.thread.htmlUrl,
      isPullRequest: t.thread.isPullRequest,
    },
    trigger: { kind: t.kind, actor: t.actor.login, mode: t.mode, branch: t.branch ?? null },
    prompt: detail ? redact(t.text) : "",
    state: run.state,
    phase: run.phase,
    attempts: run.attempts,
    cancelRequested: run.cancelRequested,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: start !== null && end !== null && Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, end - start) : null,
    costUsd: run.costUsd,
    claudeCostUsd: result?.claude?.total_cost_usd ?? null,
    turns: result?.claude?.num_turns ?? null,
    sessionId: result?.claude?.session_id ?? null,
    outcome: result?.outcome ?? null,
    failedPhase: result?.failedPhase ?? null,
    errorCategory: result?.errorCategory ?? null,
    pr: result?.pr ? { number: result.pr.number, url: result.pr.htmlUrl } : null,
    error: run.error === null ? null : redact(run.error),
    result: !detail || run.result === null || run.result === undefined ? null : redactJson(run.result, redact),
  };
}

/** The list form: everything but the prompt and the result. */
export type RunSummaryView = Omit<RunView, "prompt" | "result">;

export function runSummaryView(run: RunRecord, redact: TextRedactor, now: number): RunSummaryView {
  const { prompt: _prompt, result: _result, ...summary } = runView(run, redact, now, { detail: false });
  return summary;
}
