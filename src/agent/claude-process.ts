import type { CommandResult, Sandbox, StdinWriter } from "../sandbox/types.ts";

/**
 * A Claude process on streaming input that can outlive the run that started it (issue 19's warm
 * Claude): its stdout goes to whichever run holds it now, and each run ends it (kill) on its own
 * signal or timeout, not the sandbox command's, which has no limit of its own.
 */

export interface ClaudeProcess {
  readonly sandboxId: string;
  /** Resolves once the command started (RunOptions.onStdin). */
  readonly stdin: Promise<StdinWriter>;
  /** Resolves when the process exited (or was killed). */
  readonly exited: Promise<CommandResult>;
  readonly gone: boolean;
  /** Where stdout chunks go from now on (the run holding the process). */
  route(onStdout: (chunk: string) => void): void;
  /** The last lines of stderr so far. */
  stderrTail(): string;
  kill(): void;
}

const STDERR_KEEP = 8_000;

export function startClaudeProcess(sandbox: Sandbox, argv: string[], options: { cwd: string; env: Record<string, string> }): ClaudeProcess {
  const killer = new AbortController();
  let sink: (chunk: string) => void = () => {};
  let stderr = "";
  let gone = false;
  let giveStdin: (writer: StdinWriter) => void = () => {};
  const stdin = new Promise<StdinWriter>((resolve) => (giveStdin = resolve));
  const exited = sandbox
    .run(argv, {
      cwd: options.cwd,
      env: options.env,
      onStdin: (writer) => giveStdin(writer),
      onStdout: (chunk) => sink(chunk),
      onStderr: (chunk) => (stderr = (stderr + chunk).slice(-STDERR_KEEP)),
      timeoutMs: 0,
      signal: killer.signal,
    })
    .catch((error: unknown): CommandResult => ({ exitCode: 1, stdout: "", stderr: `${stderr}\n${error instanceof Error ? error.message : String(error)}` }))
    .finally(() => (gone = true));
  // A command that never started never asks for stdin: writes then go nowhere.
  void exited.then(() => giveStdin({ write: async () => {}, end: async () => {} }));
  return {
    sandboxId: sandbox.id,
    stdin,
    exited,
    get gone() {
      return gone;
    },
    route(onStdout) {
      sink = onStdout;
    },
    stderrTail: () => stderr,
    kill: () => killer.abort(),
  };
}
