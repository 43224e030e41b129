import { randomUUID } from "node:crypto";
import { z } from "zod";

/**
 * Claude Code's streaming input: `-p --input-format stream-json --output-format stream-json
 * --verbose --replay-user-messages`, stdin kept open. What the pinned CLI (2.1.330) does, checked
 * with the real CLI against the scripted model (test/unit/stream-input.test.ts fails if it changes):
 *
 * - A user message is one line: {"type":"user","uuid":<uuid>,"message":{"role":"user","content":
 *   [{"type":"text","text":…}]}}. Nothing is printed (not even system/init) before the first one.
 * - A message written while a turn is going is queued and surfaced at the turn's NEXT model
 *   request, same process and session id, as a {"role":"system"} message "The user sent a new
 *   message while you were working:\n<text>…" after the latest tool results. No new turn, no extra
 *   result: the turn goes on with it. That holds for one written before the first request too.
 * - With --replay-user-messages and a uuid on the line, the CLI reports each message as
 *   {"type":"command_lifecycle","command_uuid":<uuid>,"state":"queued"|"started"|"completed"}:
 *   "queued" when read, "started" when it went into a model request (then the text is replayed as
 *   a {"type":"user"} event), "completed" when its turn ended — which may come AFTER that turn's
 *   result event.
 * - After a result the process stays, waiting on stdin (no exit). A message written then, or one
 *   written while the turn's last reply was streaming (still "queued" at the result), starts a new
 *   turn in the same session: system/init again (same session_id), a request carrying the earlier
 *   conversation plus this message as a plain user message, and a result of its own. So one result
 *   per turn, not per message.
 * - Each result's total_cost_usd is the process's total so far (cumulative over its turns);
 *   --max-turns applies per turn: a new turn gets a fresh turn budget.
 * - stdin EOF: after a result the process exits 0 at once (1 after an error result); during a turn
 *   it finishes the turn (result printed), then exits.
 * - --resume <id> combines with it: the first message continues that session (same id).
 *
 * - Latency here: a message written after a result reaches the model in ≈ 50 ms; a new process
 *   (--resume) takes ≈ 650-750 ms to its first request (the warm path of issue 19 would save that).
 *
 * So: a run's Claude gets the prompt as its first message; steering messages are written as they
 * come; at each result, stdin is closed only when no written message is still waiting to start
 * (else the CLI will start a turn for it and print another result), and after a failed result
 * (a cap) the process is ended rather than let a waiting message have a fresh turn budget.
 */

/** The flags streaming input adds to the CLI's command line. */
export const STREAM_INPUT_ARGS = ["--input-format", "stream-json", "--replay-user-messages"] as const;

/** One stdin line carrying a user message; the uuid comes back in the command_lifecycle events. */
export function userMessageLine(text: string, uuid: string = randomUUID()): { uuid: string; line: string } {
  const line = JSON.stringify({ type: "user", uuid, message: { role: "user", content: [{ type: "text", text }] } });
  return { uuid, line: `${line}\n` };
}

const lifecycleEvent = z.looseObject({
  type: z.literal("command_lifecycle"),
  command_uuid: z.string(),
  state: z.enum(["queued", "started", "completed"]),
});

export type LifecycleState = "written" | "queued" | "started" | "completed";

/** The command_lifecycle event in a stream line's JSON, or null for any other event. */
export function parseLifecycle(event: unknown): { uuid: string; state: Exclude<LifecycleState, "written"> } | null {
  const parsed = lifecycleEvent.safeParse(event);
  return parsed.success ? { uuid: parsed.data.command_uuid, state: parsed.data.state } : null;
}

const ORDER: Record<LifecycleState, number> = { written: 0, queued: 1, started: 2, completed: 3 };

/** What became of each message written to stdin. Pure bookkeeping; run-claude.ts does the writing. */
export function createInputTracker() {
  const states = new Map<string, LifecycleState>();
  return {
    written(uuid: string): void {
      states.set(uuid, "written");
    },
    /** Returns the uuid when it moved to "started": the model has seen that message. */
    observe(event: unknown): string | null {
      const lifecycle = parseLifecycle(event);
      if (!lifecycle) return null;
      const before = states.get(lifecycle.uuid);
      // Events for lines we never wrote are not ours to count; states only move forward.
      if (before === undefined || ORDER[lifecycle.state] <= ORDER[before]) return null;
      states.set(lifecycle.uuid, lifecycle.state);
      return lifecycle.state === "started" || (lifecycle.state === "completed" && ORDER[before] < ORDER.started) ? lifecycle.uuid : null;
    },
    /** Written but not yet in a model request: the CLI will start (another) turn for these. */
    waiting(): number {
      let n = 0;
      for (const state of states.values()) if (ORDER[state] < ORDER.started) n += 1;
      return n;
    },
    state: (uuid: string): LifecycleState | undefined => states.get(uuid),
  };
}

export type InputTracker = ReturnType<typeof createInputTracker>;

/** At a result event: end stdin (the run's answer is in), or wait for the turn a waiting message will start. */
export function afterResult(tracker: Pick<InputTracker, "waiting">): "end" | "wait" {
  return tracker.waiting() === 0 ? "end" : "wait";
}
