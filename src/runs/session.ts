import type { ThreadRecord } from "../store/types.ts";
import type { SessionPath } from "./outcome.ts";

/**
 * The run's Claude session, decided once when the checkout is ready: a new one, the thread's own
 * in the paused sandbox it still lives in, or the thread's saved transcript put into a new
 * sandbox (all `--resume` needs). The agent phase and the report read it from here. Pure. A live
 * one becomes "warm" when the agent step finds the thread's Claude still running (warm-claude.ts).
 */
export type Session = { path: "new" } | { path: "live" | "warm"; id: string } | { path: "restored"; id: string; transcript: string };

export function decideSession(thread: Pick<ThreadRecord, "sessionId" | "transcript">, inLiveSandbox: boolean): Session {
  if (!thread.sessionId || !thread.transcript) return { path: "new" };
  return inLiveSandbox ? { path: "live", id: thread.sessionId } : { path: "restored", id: thread.sessionId, transcript: thread.transcript };
}

export function sessionPath(session: Session | null): SessionPath {
  return session?.path ?? "new";
}
