import type { ClaudeInbox, InboxMessage } from "../agent/stdin-feed.ts";
import type { RunMessage } from "../store/steering-ledger.ts";
import type { RunContext } from "./run-context.ts";

/**
 * The running run's side of steering (runs/steering.ts has the offering side): its inbox in the
 * store, open while its Claude takes messages, polled by agent/stdin-feed.ts. A message that
 * reached the model is marked delivered, listed in the progress comment ("📨 received while
 * working") and in the report.
 */

export function createRunInbox(ctx: RunContext) {
  const { store } = ctx.deps;
  const runId = ctx.run.id;
  const at = () => new Date(ctx.now()).toISOString();
  const taken = new Map<string, RunMessage>();
  let closed = false;
  const remember = (messages: RunMessage[]): InboxMessage[] =>
    messages.map((m) => {
      taken.set(String(m.id), m);
      return { id: String(m.id), text: m.text };
    });
  const inbox: ClaudeInbox = {
    take: async () => remember(await store.steering.take(runId, at())),
    close: async () => {
      closed = true;
      return remember(await store.steering.close(runId, at()));
    },
    onDelivered: (message) => {
      const m = taken.get(message.id);
      if (!m) return;
      const notes = [...(ctx.trail.steering ?? []), { author: m.author, commentId: m.commentId }];
      ctx.trail.steering = notes;
      ctx.progress.show({ ...ctx.progress.state, received: notes.map((n) => n.author) });
      void store.steering.markDelivered(m.id, at()).catch((error: unknown) => ctx.log.warn({ err: error }, "could not mark a steering message delivered"));
    },
  };
  return {
    inbox,
    open: () => store.steering.open(runId, at()),
    /** However the agent phase ended: no message is taken after it (they queue as runs of their own). */
    async close(undelivered: InboxMessage[]): Promise<void> {
      if (!closed) await store.steering.close(runId, at()).catch((error: unknown) => ctx.log.warn({ err: error }, "could not close the run's inbox"));
      if (undelivered.length === 0) return;
      ctx.log.warn({ messages: undelivered.map((m) => m.id) }, "messages for the run arrived after its Claude ended; they were not taken in");
      const missed = undelivered.flatMap((u) => {
        const m = taken.get(u.id);
        return m ? [{ author: m.author, commentId: m.commentId, missed: true as const }] : [];
      });
      ctx.trail.steering = [...(ctx.trail.steering ?? []), ...missed];
    },
  };
}
