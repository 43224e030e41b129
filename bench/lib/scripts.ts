import type { AgentRequest, Reply, Script } from "../../test/support/fake-anthropic/types.ts";
import { stepOf } from "../../test/e2e/script-helpers.ts";

/**
 * Scripted model answers. Each is keyed by the conversation (not a global counter), so runs in
 * flight at the same time each get their own sequence.
 */

/** One turn, no tool: the run ends with "no changes" (the acknowledgement and intake figures). */
export const answerAtOnce: Script = () => ({ content: [{ type: "text", text: "Nothing to change." }] });

/** The simple issue → PR run: one Bash call that creates a file, then the final answer. */
export const BENCH_FILE = "BENCH.md";
export function createFileThenAnswer(req: AgentRequest): Reply {
  if (stepOf(req) === 0) {
    return { content: [{ type: "tool_use", name: "Bash", input: { command: `printf '# Bench\\n\\nCreated by the scripted model.\\n' > ${BENCH_FILE}`, description: "Create the file" } }] };
  }
  return { content: [{ type: "text", text: `Created ${BENCH_FILE}.` }] };
}

export const FOLLOW_UP_WORD = "follow-up";

/** First mention in a thread: the issue → PR run; a follow-up ("follow-up" in the request): a text answer. */
export function threadScript(req: AgentRequest): Reply {
  if (req.lastUserText.includes(FOLLOW_UP_WORD)) return { content: [{ type: "text", text: "Noted; nothing to change." }] };
  return createFileThenAnswer(req);
}

/** Holds every agent request until release(): runs stay open with their Claude process alive. */
export function gate(): { script: Script; waiting: () => number; release: () => void } {
  let open = false;
  let waiting = 0;
  const waiters: Array<() => void> = [];
  return {
    script: async (req) => {
      if (!open) {
        waiting++;
        await new Promise<void>((resolve) => waiters.push(resolve));
        waiting--;
      }
      return answerAtOnce(req);
    },
    waiting: () => waiting,
    release() {
      open = true;
      for (const w of waiters.splice(0)) w();
    },
  };
}
