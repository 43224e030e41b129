import type { CommandResult, Sandbox } from "../sandbox/types.ts";
import { startClaudeProcess, type ClaudeProcess } from "./claude-process.ts";
import { judgeResult } from "./result-trust.ts";
import { createStdinFeed, type ClaudeInbox, type InboxMessage, type StdinFeed } from "./stdin-feed.ts";
import { createLineSplitter, parseStreamLine, type ResultEvent, type StreamEvent } from "./stream-events.ts";

/**
 * Runs Claude Code headless in a sandbox, streaming its events. The prompt goes in through a file
 * on stdin; or, with an inbox (argv with streamInput), as the first message on a stdin kept open,
 * followed by the messages that arrive while Claude works (stdin-feed.ts). With `kept` too, the
 * process may outlive the run: at its last good result it is parked (handed to kept.park, still
 * waiting on stdin) instead of ended, and a run given kept.reuse writes its prompt to that one.
 * Its result's total_cost_usd is then the process's total over the session's runs, the same
 * figure a --resume of the session reports (the CLI counts the resumed session's cost too).
 */

/** A process kept for the thread's next run, or the way to keep this run's (warm-claude.ts). */
export interface KeptProcess {
  /** A parked process to write the prompt to (argv and env were its own run's); null: start one. */
  reuse: ClaudeProcess | null;
  park: (process: ClaudeProcess) => void;
}

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
  /** With inbox: the process may be kept past the run (and reuse one kept before). */
  kept?: KeptProcess | undefined;
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
  let park = () => {};
  const parked = new Promise<void>((resolve) => (park = resolve));
  const kept = input.inbox ? input.kept : undefined;
  const feed = input.inbox ? createStdinFeed(input.inbox, input.prompt, () => stopped.abort(), kept ? () => park() : undefined) : null;
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
  const outcome =
    kept && feed
      ? await runKept(input, kept, { feed, parked, signal, onStdout: (chunk) => splitter.push(chunk) })
      : await input.sandbox.run(input.argv, {
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
 * The run on a process that may outlive it: the run's signal and timeout kill it while the run
 * holds it; at the park (the run's last good result, nothing waiting) it is handed on, still
 * running, and the run's outcome is a clean exit.
 */
async function runKept(
  input: ClaudeRunInput,
  kept: KeptProcess,
  run: { feed: StdinFeed; parked: Promise<void>; signal: AbortSignal; onStdout: (chunk: string) => void },
): Promise<CommandResult> {
  const proc = kept.reuse ?? startClaudeProcess(input.sandbox, input.argv, { cwd: input.cwd, env: input.env });
  proc.route(run.onStdout);
  const kill = () => proc.kill();
  run.signal.addEventListener("abort", kill, { once: true });
  if (run.signal.aborted) kill();
  const timer = input.timeoutMs > 0 ? setTimeout(kill, input.timeoutMs) : undefined;
  run.feed.attach(await proc.stdin);
  const exit = await Promise.race([proc.exited, run.parked.then(() => null)]);
  clearTimeout(timer);
  run.signal.removeEventListener("abort", kill);
  // Between runs its output (a late command_lifecycle) belongs to no run.
  proc.route(() => {});
  if (exit) return exit;
  kept.park(proc);
  return { exitCode: 0, stdout: "", stderr: proc.stderrTail() };
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
