import type { Sandbox } from "../sandbox/types.ts";
import { judgeResult } from "./result-trust.ts";
import { createStdinFeed, type ClaudeInbox, type InboxMessage, type StdinFeed } from "./stdin-feed.ts";
import { createLineSplitter, parseStreamLine, type ResultEvent, type StreamEvent } from "./stream-events.ts";

/**
 * Runs Claude Code headless in a sandbox, streaming its events. The prompt goes in through a file
 * on stdin; or, with an inbox (argv with streamInput), as the first message on a stdin kept open,
 * followed by the messages that arrive while Claude works (stdin-feed.ts).
 */

export interface ClaudeRunInput {
  sandbox: Sandbox;
  argv: string[];
  env: Record<string, string>;
  prompt: string;
  cwd: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The run's --max-budget-usd: a result claiming far more (or a negative cost) is not believed. */
  maxCostUsd?: number | undefined;
  onEvent?: (event: StreamEvent) => void;
  /** Streaming input: messages for the running session (argv must carry the streaming flags). */
  inbox?: ClaudeInbox | undefined;
}

export interface ClaudeRunOutput {
  exitCode: number;
  result: ResultEvent | null;
  sessionId: string | null;
  /** The last lines of stderr, for error reports. */
  stderrTail: string;
  /** Lines that were not valid stream-json (a CLI crash prints plain text). */
  unparsed: string[];
  /** The process was still running at timeoutMs and was killed. */
  timedOut: boolean;
  /** Why the process's first result event was not believed (then result is null); null when it was, or there was none. */
  rejectedResult: string | null;
  /** Result events after the first (streaming input: after stdin was ended): only the run's counts, the rest are ignored. */
  extraResults: number;
  /** Streaming input: inbox messages taken but never written to Claude (the process ended first). */
  undelivered: InboxMessage[];
}

export async function runClaude(input: ClaudeRunInput): Promise<ClaudeRunOutput> {
  // The feed may end the process itself (after a failed result); the caller's signal still counts.
  const stopped = new AbortController();
  const signal = input.signal ? AbortSignal.any([input.signal, stopped.signal]) : stopped.signal;
  const feed = input.inbox ? createStdinFeed(input.inbox, input.prompt, () => stopped.abort()) : null;
  // Outside the checkout, so it is never committed.
  const promptFile = `${input.sandbox.homeDir}/.claude-sandbox-bot/prompt.md`;
  if (!feed) await input.sandbox.writeFile(promptFile, input.prompt);
  const results = createResultKeeper(input.maxCostUsd, feed);
  const unparsed: string[] = [];
  const splitter = createLineSplitter((line) => {
    const event = parseStreamLine(line);
    if (!event) return;
    if (event.type === "unparsed") unparsed.push(event.line.slice(0, 500));
    if (event.type === "other") feed?.observe(event.event);
    if (event.type === "system" && event.event.session_id) results.sawSession(event.event.session_id);
    if (event.type === "result" && !results.take(event.event)) return;
    input.onEvent?.(event);
  });

  const started = Date.now();
  const outcome = await input.sandbox.run(input.argv, {
    cwd: input.cwd,
    env: input.env,
    ...(feed ? { onStdin: (stdin) => feed.attach(stdin) } : { stdinFile: promptFile }),
    timeoutMs: input.timeoutMs,
    signal,
    onStdout: (chunk) => splitter.push(chunk),
  });
  splitter.end();
  const undelivered = feed ? await feed.stop() : [];

  const { result, sessionId, rejectedResult, extraResults } = results;
  const stderrLines = outcome.stderr.trim().split("\n");
  // Provider-agnostic: a non-zero exit without a result at (or past) the limit is the timeout.
  const timedOut = input.timeoutMs > 0 && result === null && outcome.exitCode !== 0 && Date.now() - started >= input.timeoutMs;
  return { exitCode: outcome.exitCode, result, sessionId, stderrTail: stderrLines.slice(-15).join("\n"), unparsed, timedOut, rejectedResult, extraResults, undelivered };
}

/**
 * Which result event is the run's. Without streaming input the first: anything printed after it is
 * not the CLI speaking. With it, each turn ends in a result, and the run's is the one after which
 * stdin was ended (its cost is the process's total so far); results after that are not believed.
 */
function createResultKeeper(maxCostUsd: number | undefined, feed: StdinFeed | null) {
  const keeper = {
    result: null as ResultEvent | null,
    sessionId: null as string | null,
    rejectedResult: null as string | null,
    extraResults: 0,
    sawResult: false,
    sawSession(id: string) {
      keeper.sessionId = id;
    },
    /** Whether the event is passed on. */
    take(event: ResultEvent): boolean {
      if (feed ? feed.ended : keeper.sawResult) {
        keeper.extraResults += 1;
        return false;
      }
      keeper.sawResult = true;
      const verdict = judgeResult(event, maxCostUsd);
      keeper.rejectedResult = verdict.trusted ? null : verdict.problem;
      keeper.result = verdict.trusted ? event : null;
      if (verdict.trusted) keeper.sessionId = event.session_id;
      void feed?.onResult(event.is_error || event.subtype !== "success");
      return verdict.trusted;
    },
  };
  return keeper;
}
