import { z } from "zod";
import type { ResultEvent } from "../agent/stream-events.ts";
import type { RunState } from "../store/types.ts";
import type { ErrorCategory } from "./error-category.ts";
import type { Phase } from "./phases.ts";

/**
 * What a run came to, in one place: the outcome, the summary the report is rendered from, the
 * result stored with the run (and its schema, for whoever reads it back), and which run states
 * are final. Pure.
 */

export const OUTCOMES = ["done", "no_changes", "failed", "canceled"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * How the run's Claude session came about: a new one, the paused sandbox's own, that sandbox's
 * Claude still running from the thread's last run (warm-claude.ts), or the saved transcript in a
 * new sandbox.
 */
export type SessionPath = "new" | "live" | "warm" | "restored";

export const FINISHED_STATES: ReadonlySet<RunState> = new Set<RunState>(["succeeded", "failed", "canceled"]);

/** What the run did, from the step that ended it (publish, or the error that stopped it). */
export interface RunOutcome {
  outcome: Outcome;
  failedPhase?: Phase | undefined;
  errorCategory?: ErrorCategory | undefined;
  error?: string | undefined;
  pr?: { number: number; htmlUrl: string; created: boolean } | undefined;
  files: Array<{ path: string; added: number; removed: number }>;
  /** Code mode on a fork's PR: the change, since nothing was pushed. */
  patch?: string | undefined;
  /** Pushed from the bot's machine rather than made (signed) through the API: why. */
  unsigned?: string | undefined;
  /** The head commit the push left (CI follow-ups compare it with the head whose checks failed). */
  pushedSha?: string | undefined;
  /** Review mode: the review that was posted. */
  review?: { htmlUrl: string; event: string; inline: number; moved: number } | undefined;
  /** Plan mode: the plan comment (no URL when there is no thread), its steps, and the reply that carries it out. */
  plan?: { htmlUrl: string; steps: number; approveWith: string } | undefined;
}

/** One message the run's Claude took in while working (runs/steering-inbox.ts). */
export interface SteeringNote {
  author: string;
  commentId?: number | undefined;
  /** It arrived as Claude was ending and never reached it (the author was told to mention again). */
  missed?: true | undefined;
}

/**
 * The repository snapshot in the run (snapshots.ts): the commit of the one its sandbox started
 * from, whether the setup ran (and which of its inputs had changed since the snapshot: null when
 * git could not tell), and how long taking one for the next threads took. The time is in the
 * run's sandbox seconds: the sandbox was running (E2B pauses it briefly) and this run held it.
 */
export interface SnapshotNote {
  used: string | null;
  setup: "skipped" | "ran";
  changedInputs?: string[] | null | undefined;
  taken: boolean;
  takenMs?: number | undefined;
}

export interface RunSummary extends RunOutcome {
  runId: number;
  branch: string;
  branchUrl: string;
  durationMs: number;
  phaseMs: Partial<Record<Phase, number>>;
  /** Sandbox lifetime × the configured per-second rate. */
  sandboxCostUsd: number;
  /** The model's cost as the model gateway metered it, request by request; absent without the gateway (then Claude's own figure counts). */
  gatewayCostUsd?: number | undefined;
  result: ResultEvent | null;
  session: SessionPath;
  /** The limits the run ran under (time, turns, cost, daily budgets). */
  limits?: string[] | undefined;
  /** A CI follow-up that changed nothing: its report says the automatic fixing ends there. */
  ciLoopEnded?: boolean | undefined;
  /** The model the agent ran with, when the bot chose one (else the CLI's default). */
  model?: string | undefined;
  /** The messages its Claude took in while working (steering), in order. */
  steering?: SteeringNote[] | undefined;
  /** The repository snapshot the run started from or took, when it did either. */
  snapshot?: SnapshotNote | undefined;
}

export const CANCELED: RunOutcome = { outcome: "canceled", error: "Stopped on request. Nothing from this run was pushed.", errorCategory: "canceled", files: [] };

export function failed(phase: Phase, category: ErrorCategory, message: string): RunOutcome {
  return { outcome: "failed", failedPhase: phase, errorCategory: category, error: message, files: [] };
}

export function runStateFor(outcome: Outcome): RunState {
  return outcome === "failed" ? "failed" : outcome === "canceled" ? "canceled" : "succeeded";
}

/** The result stored with a finished run; readers (the dashboard, the run API) parse it back with `parseStoredResult`. */
export const storedResultSchema = z
  .object({
    outcome: z.enum(OUTCOMES).optional(),
    failedPhase: z.string().nullable().optional(),
    errorCategory: z.string().nullable().optional(),
    pr: z.object({ number: z.number(), htmlUrl: z.string() }).loose().nullable().optional(),
    pushedSha: z.string().nullable().optional(),
    phaseMs: z.record(z.string(), z.number()).optional(),
    sandboxCostUsd: z.number().optional(),
    claude: z.object({ total_cost_usd: z.number().optional(), num_turns: z.number().optional(), session_id: z.string().optional() }).loose().nullable().optional(),
    snapshot: z.object({ used: z.string().nullable(), taken: z.boolean(), setup: z.enum(["skipped", "ran"]), takenMs: z.number().optional() }).loose().optional(),
  })
  .loose();
export type StoredResult = z.infer<typeof storedResultSchema>;

export function storedResult(summary: RunSummary): StoredResult {
  return {
    outcome: summary.outcome,
    failedPhase: summary.failedPhase ?? null,
    errorCategory: summary.errorCategory ?? null,
    pr: summary.pr ?? null,
    pushedSha: summary.pushedSha ?? null,
    phaseMs: summary.phaseMs,
    sandboxCostUsd: summary.sandboxCostUsd,
    claude: summary.result,
    ...(summary.snapshot ? { snapshot: storedSnapshot(summary.snapshot) } : {}),
  };
}

function storedSnapshot(note: SnapshotNote): NonNullable<StoredResult["snapshot"]> {
  return { used: note.used, taken: note.taken, setup: note.setup, ...(note.takenMs !== undefined ? { takenMs: note.takenMs } : {}) };
}

/** A stored result read back; rows written before a field existed parse too (every field is optional), anything else is null. */
export function parseStoredResult(value: unknown): StoredResult | null {
  const parsed = storedResultSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
