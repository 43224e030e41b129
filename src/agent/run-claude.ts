import type { Sandbox } from "../sandbox/types.ts";
import { judgeResult } from "./result-trust.ts";
import { createLineSplitter, parseStreamLine, type ResultEvent, type StreamEvent } from "./stream-events.ts";

/** Runs Claude Code headless in a sandbox, streaming its events. The prompt goes in through a file on stdin. */

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
  /** Result events after the first: only the first counts, the rest are ignored. */
  extraResults: number;
}

export async function runClaude(input: ClaudeRunInput): Promise<ClaudeRunOutput> {
  // Outside the checkout, so it is never committed.
  const promptFile = `${input.sandbox.homeDir}/.claude-sandbox-bot/prompt.md`;
  await input.sandbox.writeFile(promptFile, input.prompt);

  let result: ResultEvent | null = null;
  let sawResult = false;
  let rejectedResult: string | null = null;
  let extraResults = 0;
  let sessionId: string | null = null;
  const unparsed: string[] = [];
  const splitter = createLineSplitter((line) => {
    const event = parseStreamLine(line);
    if (!event) return;
    if (event.type === "unparsed") unparsed.push(event.line.slice(0, 500));
    if (event.type === "system" && event.event.session_id) sessionId = event.event.session_id;
    if (event.type === "result") {
      // The first result is the run's; anything printed after it is not the CLI speaking.
      if (sawResult) {
        extraResults += 1;
        return;
      }
      sawResult = true;
      const verdict = judgeResult(event.event, input.maxCostUsd);
      if (!verdict.trusted) {
        rejectedResult = verdict.problem;
        return;
      }
      result = event.event;
      sessionId = event.event.session_id;
    }
    input.onEvent?.(event);
  });

  const started = Date.now();
  const outcome = await input.sandbox.run(input.argv, {
    cwd: input.cwd,
    env: input.env,
    stdinFile: promptFile,
    timeoutMs: input.timeoutMs,
    ...(input.signal ? { signal: input.signal } : {}),
    onStdout: (chunk) => splitter.push(chunk),
  });
  splitter.end();

  const stderrLines = outcome.stderr.trim().split("\n");
  // Provider-agnostic: a non-zero exit without a result at (or past) the limit is the timeout.
  const timedOut = input.timeoutMs > 0 && result === null && outcome.exitCode !== 0 && Date.now() - started >= input.timeoutMs;
  return { exitCode: outcome.exitCode, result, sessionId, stderrTail: stderrLines.slice(-15).join("\n"), unparsed, timedOut, rejectedResult, extraResults };
}
