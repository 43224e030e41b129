import type { CommandResult, RunOptions, Sandbox, StdinWriter } from "../sandbox/types.ts";

/**
 * A Claude process on streaming input that can outlive the run that started it (issue 19's warm
 * Claude): its stdout goes to whichever run holds it now, and each run ends it (kill) on its own
 * signal or timeout, not the sandbox command's, which has no limit of its own. It may also outlive
 * the connection to its sandbox: at the sandbox's pause E2B freezes it and the connection lets go
 * of it (detached); the next run's connection takes it up again (adopt).
 */

export interface ClaudeProcess {
  readonly sandboxId: string;
  /** The current connection's stdin; resolves once the command started (or was taken up again). */
  readonly stdin: Promise<StdinWriter>;
  /** Resolves when the process exited (or was killed, or could not be taken up again). */
  readonly exited: Promise<CommandResult>;
  readonly gone: boolean;
  /** Let go of by its connection at a pause, still running: its reference for Sandbox.follow, else null. */
  readonly detachedAs: string | null;
  /** Where stdout chunks go from now on (the run holding the process). */
  route(onStdout: (chunk: string) => void): void;
  /** Follows it from this connection to its sandbox when it was let go of; false when it is gone. */
  adopt(sandbox: Sandbox): Promise<boolean>;
  /** The last lines of stderr so far. */
  stderrTail(): string;
  /** Ends it; one that is detached is only forgotten (nothing reaches it until a connection follows it). */
  kill(): void;
}

const STDERR_KEEP = 8_000;
const NO_STDIN: StdinWriter = { write: async () => {}, end: async () => {} };

export function startClaudeProcess(sandbox: Sandbox, argv: string[], options: { cwd: string; env: Record<string, string> }): ClaudeProcess {
  let killer = new AbortController();
  let sink: (chunk: string) => void = () => {};
  let stderr = "";
  let gone = false;
  let ref: string | null = null;
  let detached = false;
  let giveStdin: (writer: StdinWriter) => void = () => {};
  let stdin: Promise<StdinWriter> = Promise.resolve(NO_STDIN);
  const freshStdin = () => (stdin = new Promise<StdinWriter>((resolve) => (giveStdin = resolve)));
  let settle: (result: CommandResult) => void = () => {};
  const exited = new Promise<CommandResult>((resolve) => (settle = resolve));
  const end = (result: CommandResult) => {
    if (gone) return;
    gone = true;
    detached = false;
    // A command that never started never asks for stdin: writes then go nowhere.
    giveStdin(NO_STDIN);
    settle(result);
  };
  const failure = (error: unknown): CommandResult => ({ exitCode: 1, stdout: "", stderr: `${stderr}\n${error instanceof Error ? error.message : String(error)}` });
  const follow = (result: Promise<CommandResult>) =>
    void result.catch(failure).then((outcome) => {
      if (outcome.detached && !killer.signal.aborted) detached = true;
      else end(outcome);
    });
  const runOptions = (): RunOptions => ({
    cwd: options.cwd,
    env: options.env,
    onStdin: (writer) => giveStdin(writer),
    onStdout: (chunk) => sink(chunk),
    onStderr: (chunk) => (stderr = (stderr + chunk).slice(-STDERR_KEEP)),
    onDetachable: (detachable) => (ref = detachable),
    timeoutMs: 0,
    signal: killer.signal,
  });
  const takeUp = (box: Sandbox, detachedRef: string) => {
    killer = new AbortController();
    freshStdin();
    detached = false;
    return box.follow?.(detachedRef, runOptions()).catch(() => null) ?? null;
  };
  freshStdin();
  follow(sandbox.run(argv, runOptions()));
  return {
    sandboxId: sandbox.id,
    get stdin() {
      return stdin;
    },
    exited,
    get gone() {
      return gone;
    },
    get detachedAs() {
      return detached && !gone ? ref : null;
    },
    route(onStdout) {
      sink = onStdout;
    },
    async adopt(box) {
      if (gone) return false;
      if (!detached) return true; // it never left (local), or this connection already follows it
      const followed = ref && box.follow && box.id === sandbox.id ? await takeUp(box, ref) : null;
      if (!followed) {
        end(failure(new Error("the kept Claude process is gone (its sandbox restarted, or it exited while paused)")));
        return false;
      }
      follow(followed.result);
      return true;
    },
    stderrTail: () => stderr,
    kill() {
      if (detached) end({ exitCode: 137, stdout: "", stderr });
      else killer.abort();
    },
  };
}
