import type { StdinWriter } from "../sandbox/types.ts";
import { afterResult, createInputTracker, userMessageLine } from "./stream-input.ts";

/**
 * Feeds a running Claude (streaming input, stream-input.ts) its prompt and then the messages that
 * arrive for it while it works (an inbox the run polls), and ends its stdin once the last turn's
 * result is in and nothing written is still waiting.
 */

export interface InboxMessage {
  id: string;
  text: string;
}

export interface ClaudeInbox {
  /** Messages that arrived since the last call (the store's pending ones, now taken). */
  take(): Promise<InboxMessage[]>;
  /** Closes the inbox for good and returns what arrived since the last take: nothing can come after. */
  close(): Promise<InboxMessage[]>;
  /** The model has the message now (it went into a model request). */
  onDelivered?(message: InboxMessage): void;
  /** How often take() is called while Claude works; default 1 s. */
  pollMs?: number;
}

/**
 * stopCommand ends the process: after a failed result (the turn or cost cap) a message still
 * waiting must not start another turn, which would get a fresh turn budget. park, when given,
 * replaces the EOF after a run's last good result: the process is kept, waiting on stdin, for the
 * thread's next run (claude-process.ts).
 */
export function createStdinFeed(inbox: ClaudeInbox, prompt: string, stopCommand: () => void = () => {}, park?: () => void) {
  const tracker = createInputTracker();
  const byUuid = new Map<string, InboxMessage>();
  let stdin: StdinWriter | undefined;
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  // Writes keep their order: one chain, so a poll never overtakes the prompt or the close.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = (work: () => Promise<unknown>) => (chain = chain.then(work).catch(() => undefined));
  const send = async (text: string, message?: InboxMessage) => {
    const { uuid, line } = userMessageLine(text);
    tracker.written(uuid);
    if (message) byUuid.set(uuid, message);
    await stdin?.write(line);
  };
  const sendAll = async (messages: InboxMessage[]) => {
    for (const m of messages) await send(m.text, m);
  };
  const poll = () => serial(async () => (ended ? undefined : sendAll(await inbox.take())));
  /** Written, but the model never had it. */
  const unstarted = () => [...byUuid].flatMap(([uuid, m]) => (tracker.state(uuid) === "written" || tracker.state(uuid) === "queued" ? [m] : []));
  let missed: InboxMessage[] = [];
  const abandon = () => {
    if (ended) return chain;
    ended = true;
    clearInterval(timer);
    const waiting = unstarted();
    // At once, not after the writes queued before: the CLI starts the next turn right after the
    // result, and EOF alone would still let it run one for a message it has read.
    if (waiting.length > 0) stopCommand();
    return serial(async () => {
      missed = [...waiting, ...(await inbox.close())];
      await stdin?.end();
    });
  };
  // Waiting at the result itself (the CLI starts it right after), or written since (a poll that was
  // under way): either one gets a turn of its own, so another result will come.
  const finish = (atResult: "end" | "wait") =>
    serial(async () => {
      if (ended || atResult === "wait" || afterResult(tracker) === "wait") return;
      const late = await inbox.close();
      if (late.length > 0) return sendAll(late);
      ended = true;
      clearInterval(timer);
      if (park) park();
      else await stdin?.end();
    });
  return {
    /** RunOptions.onStdin: the prompt goes first, then the inbox is polled. */
    attach(writer: StdinWriter): void {
      stdin = writer;
      void serial(() => send(prompt));
      timer = setInterval(poll, inbox.pollMs ?? 1000);
      timer.unref();
    },
    /** Every stream event (command_lifecycle tells which message the model has). */
    observe(event: unknown): void {
      // Once stdin is ended nothing more reaches the model (a turn started then is cut off).
      if (ended) return;
      const uuid = tracker.observe(event);
      const message = uuid ? byUuid.get(uuid) : undefined;
      if (message) inbox.onDelivered?.(message);
    },
    /** A result event: the run's answer if nothing is waiting, else another turn will come; a failed one ends it. */
    onResult: (failed = false) => (failed ? abandon() : finish(afterResult(tracker))),
    /** Whether stdin has been ended: a result after that is not one this run asked for. */
    get ended() {
      return ended;
    },
    /** The command is over: stop polling, close the inbox; what the model never had is returned. */
    async stop(): Promise<InboxMessage[]> {
      clearInterval(timer);
      await chain;
      if (ended) return missed;
      ended = true;
      return [...unstarted(), ...(await inbox.close())];
    },
  };
}

export type StdinFeed = ReturnType<typeof createStdinFeed>;
