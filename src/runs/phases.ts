/** The phases of a run, in order. The report names the one that failed. */
export const PHASES = ["queue", "sandbox", "clone", "agent", "publish"] as const;
export type Phase = (typeof PHASES)[number];

export function isPhase(value: unknown): value is Phase {
  return typeof value === "string" && (PHASES as readonly string[]).includes(value);
}

export const PHASE_LABEL: Record<Phase, string> = {
  queue: "waiting in the queue",
  sandbox: "starting the sandbox",
  clone: "cloning the repository",
  agent: "running Claude Code",
  publish: "pushing and opening the pull request",
};

/** A failure that knows its phase and says what the user can do about it. */
export class PhaseError extends Error {
  override name = "PhaseError";
  readonly phase: Phase;
  constructor(phase: Phase, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.phase = phase;
  }
}
