import type { ErrorCategory } from "./error-category.ts";

/** The phases of a run, in order. The report names the one that failed. */
export const PHASES = ["queue", "sandbox", "clone", "setup", "agent", "publish"] as const;
export type Phase = (typeof PHASES)[number];

export function isPhase(value: unknown): value is Phase {
  return typeof value === "string" && (PHASES as readonly string[]).includes(value);
}

export const PHASE_LABEL: Record<Phase, string> = {
  queue: "waiting in the queue",
  sandbox: "starting the sandbox",
  clone: "cloning the repository",
  setup: "running the repository's setup commands",
  agent: "running Claude Code",
  publish: "publishing the result",
};

/** What usually went wrong when a phase fails without saying more. */
const DEFAULT_CATEGORY: Record<Phase, ErrorCategory> = {
  queue: "internal",
  sandbox: "sandbox",
  clone: "git",
  setup: "setup",
  agent: "model_api",
  publish: "git",
};

/** A failure that knows its phase, its category, and says what the user can do about it. */
export class PhaseError extends Error {
  override name = "PhaseError";
  readonly phase: Phase;
  readonly category: ErrorCategory;
  constructor(phase: Phase, message: string, options?: { cause?: unknown; category?: ErrorCategory }) {
    super(message, options);
    this.phase = phase;
    this.category = options?.category ?? DEFAULT_CATEGORY[phase];
  }
}
