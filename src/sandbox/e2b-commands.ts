/**
 * Commands in an E2B sandbox: started in background mode (the handle is the only way to kill one),
 * output kept to a bounded tail, stdin over envd, and on abort or deadline the process and all it
 * started killed (the sweep). A command may also outlive the connection (a warm Claude,
 * RunOptions.onDetachable): pause() stops following it — E2B freezes it with the VM and drops the
 * VM's connections (docs: sandbox/persistence) — and the next connection follows it again by its
 * reference (Sandbox.follow), with Commands.connect(pid).
 */
import { CommandExitError, TimeoutError } from "e2b";
import type { CommandHandle, Sandbox as E2bSandbox } from "e2b";
import { commandResult, createOutputTail, type OutputTail } from "./output-tail.ts";
import { newProcessMark, PROCESS_MARK_VAR, sweepCommand } from "./process-sweep.ts";
import { toShellCommand } from "./shell-quote.ts";
import type { CommandResult, FollowedCommand, RunOptions, StdinWriter } from "./types.ts";
import type { E2bLogger } from "./e2b.ts";

/** What a shell reports for a SIGKILLed process (128 + 9): E2B kills with SIGKILL. */
export const ABORTED_EXIT_CODE = 137;
/** What coreutils `timeout` reports, so a timed-out command reads the same on every provider. */
export const TIMED_OUT_EXIT_CODE = 124;
export const E2B_WORKDIR = "/home/user/repo";

export interface E2bCommands {
  run(argv: string[], options: RunOptions): Promise<CommandResult>;
  /** A command an earlier connection detached from (its reference from onDetachable); null when it is gone. */
  follow(ref: string, options: RunOptions): Promise<FollowedCommand | null>;
  /** Stops following every detachable command (before a pause); resolves once their results (`detached`) were delivered. */
  detachAll(): Promise<void>;
}

export function createE2bCommands(sbx: E2bSandbox, log: E2bLogger): E2bCommands {
  const detachable = new Set<() => Promise<void>>();
  const ctx = { sbx, log, detachable };
  return {
    run: (argv, options) => runCommand(ctx, argv, options),
    follow: (ref, options) => followCommand(ctx, ref, options),
    async detachAll() {
      await Promise.all([...detachable].map((detach) => detach()));
    },
  };
}

interface CommandsContext {
  sbx: E2bSandbox;
  log: E2bLogger;
  detachable: Set<() => Promise<void>>;
}

async function runCommand(ctx: CommandsContext, argv: string[], options: RunOptions): Promise<CommandResult> {
  const { sbx, log } = ctx;
  if (options.signal?.aborted) return { exitCode: ABORTED_EXIT_CODE, stdout: "", stderr: "\n[e2b] canceled\n" };
  // The mark lets the sweep find what the command starts, even in sessions of their own
  // (process-sweep.ts); it only kills groups a marked process leads, never envd's.
  const mark = newProcessMark();
  log.debug({ sandboxId: sbx.sandboxId, command: argv[0] }, "e2b run");
  const started = Date.now();
  const output = boundedOutput(options);
  // Without closeStdin the CLI would never see EOF and wait after its answer until the deadline.
  if (options.onStdin && sbx.commands.supportsStdinClose === false) {
    throw new Error(`E2B sandbox ${sbx.sandboxId} runs an envd that cannot close a command's stdin, which Claude's streaming input needs: rebuild the template (npm run template:build) to pick up a current envd`);
  }
  let handle: CommandHandle;
  try {
    handle = await sbx.commands.run(toShellCommand(argv, options.stdinFile), {
      background: true,
      cwd: options.cwd ?? E2B_WORKDIR,
      envs: { ...options.env, [PROCESS_MARK_VAR]: mark },
      onStdout: output.onStdout,
      onStderr: output.onStderr,
      // The SDK's default is 60 s; for us 0/undefined means no limit, and 0 is the SDK's "none".
      timeoutMs: options.timeoutMs ?? 0,
      ...(options.onStdin ? { stdin: true } : {}),
    });
  } catch (err) {
    throw new Error(`E2B could not start ${argv[0]} in sandbox ${sbx.sandboxId}: ${messageOf(err)}`, { cause: err });
  }
  return followHandle(ctx, { argv, handle, mark, output, options, started });
}

async function followCommand(ctx: CommandsContext, ref: string, options: RunOptions): Promise<FollowedCommand | null> {
  const { sbx, log } = ctx;
  const parsed = /^(\d+):([0-9a-f-]{36})$/.exec(ref);
  if (!parsed) throw new Error(`not a command reference of this provider: ${ref}`);
  const pid = Number(parsed[1]);
  const mark = parsed[2] ?? "";
  const output = boundedOutput(options);
  let handle: CommandHandle;
  try {
    // A pid alone could be another command's by now (the process died, the pid was reused): the mark says it is ours.
    const running = await sbx.commands.list();
    if (!running.some((p) => p.pid === pid && p.envs[PROCESS_MARK_VAR] === mark)) throw new Error(`no running command ${pid} with our mark`);
    // timeoutMs 0: the SDK's default would end the stream after 60 s.
    handle = await sbx.commands.connect(pid, { onStdout: output.onStdout, onStderr: output.onStderr, timeoutMs: 0 });
  } catch (err) {
    log.info({ sandboxId: sbx.sandboxId, pid, err: messageOf(err) }, "e2b: the command to follow is gone");
    return null;
  }
  const argv = [`pid ${pid}`];
  return { result: followHandle(ctx, { argv, handle, mark, output, options, started: Date.now() }) };
}

/** A started (or reconnected) command until it ends or is detached from. */
function followHandle(ctx: CommandsContext, c: Omit<RunningCommand, "sbx" | "log" | "signal" | "timeoutMs" | "detached">): Promise<CommandResult> {
  const { sbx, log } = ctx;
  c.output.attach(c.handle);
  if (c.options.onStdin) c.options.onStdin(e2bStdin(sbx, c.handle.pid, log));
  const running: RunningCommand = { ...c, sbx, log, signal: c.options.signal, timeoutMs: c.options.timeoutMs ?? 0, detached: false };
  if (!c.options.onDetachable) return waitForCommand(running);
  const result = waitForCommand(running).finally(() => ctx.detachable.delete(detach));
  // Resolves once the result (detached) has reached whoever awaits it: a macrotask runs after
  // every promise reaction queued before it, so the caller knows before pause() resolves.
  async function detach(): Promise<void> {
    running.detached = true;
    await c.handle.disconnect();
    await result.catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
  }
  ctx.detachable.add(detach);
  c.options.onDetachable(`${c.handle.pid}:${c.mark}`);
  return result;
}

/** The command's stdin over envd (commands.sendStdin / closeStdin): a failure is logged, as the command may be gone. */
function e2bStdin(sbx: E2bSandbox, pid: number, log: E2bLogger): StdinWriter {
  let ended = false;
  const quietly = (what: string, call: () => Promise<void>) => call().catch((err: unknown) => log.debug({ sandboxId: sbx.sandboxId, pid, err: messageOf(err) }, `e2b ${what} failed`));
  return {
    write: (data) => (ended ? Promise.resolve() : quietly("sendStdin", () => sbx.commands.sendStdin(pid, data))),
    end: () => {
      if (ended) return Promise.resolve();
      ended = true;
      return quietly("closeStdin", () => sbx.commands.closeStdin(pid));
    },
  };
}

/**
 * The command's output, kept to a bounded tail. The SDK appends every chunk to the handle's own
 * _stdout/_stderr before calling us; emptying them here keeps its memory bounded too (600 MB of
 * output would end in "Invalid string length").
 */
function boundedOutput(options: RunOptions) {
  const out = createOutputTail();
  const err = createOutputTail();
  let handle: CommandHandle | undefined;
  const onChunk = (tail: OutputTail, field: "_stdout" | "_stderr", forward?: (chunk: string) => void) => (chunk: string) => {
    tail.push(chunk);
    forward?.(chunk);
    const internals = handle as unknown as Record<string, unknown> | undefined;
    if (internals && typeof internals[field] === "string") internals[field] = "";
  };
  return {
    onStdout: onChunk(out, "_stdout", options.onStdout),
    onStderr: onChunk(err, "_stderr", options.onStderr),
    attach: (started: CommandHandle) => void (handle = started),
    result: (exitCode: number, extraStderr = ""): CommandResult => {
      err.push(extraStderr);
      return commandResult(exitCode, out, err);
    },
  };
}

interface RunningCommand {
  sbx: E2bSandbox;
  log: E2bLogger;
  argv: string[];
  handle: CommandHandle;
  mark: string;
  output: ReturnType<typeof boundedOutput>;
  options: RunOptions;
  signal: AbortSignal | undefined;
  timeoutMs: number;
  started: number;
  /** We stopped following it (pause): the process runs on in the sandbox. */
  detached: boolean;
}

/** The command's end: its exit code, or — on abort or its deadline — the process and all it started killed. */
async function waitForCommand(c: RunningCommand): Promise<CommandResult> {
  const { signal, output } = c;
  let aborted = false;
  let stopping: Promise<void> | undefined;
  // E2B's kill signals the one process; the sweep then ends everything it started.
  const stop = (): Promise<void> => (stopping ??= killCommand(c.handle, c.sbx.sandboxId, c.log).then(() => sweep(c.sbx, c.mark, c.log)));
  const onAbort = (): void => {
    aborted = true;
    void stop();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort(); // aborted while the command was starting
  try {
    const done = await c.handle.wait();
    if (aborted) {
      await stop();
      return output.result(ABORTED_EXIT_CODE, "\n[e2b] canceled\n");
    }
    return output.result(done.exitCode);
  } catch (err) {
    if (aborted) {
      await stop();
      return output.result(ABORTED_EXIT_CODE, "\n[e2b] canceled\n");
    }
    // wait() throws for any non-zero exit; our contract resolves with it instead.
    if (err instanceof CommandExitError) return output.result(err.exitCode);
    // Our own disconnect ended the stream, not the process.
    if (c.detached) return { ...output.result(-1), detached: true };
    // TimeoutError also means "the sandbox itself timed out"; only the elapsed time tells them apart.
    if (err instanceof TimeoutError && c.timeoutMs > 0 && Date.now() - c.started >= c.timeoutMs) {
      // The deadline only ends the stream: the process would keep running without this.
      await stop();
      return output.result(TIMED_OUT_EXIT_CODE, `\n[e2b] ${c.argv[0]} timed out after ${c.timeoutMs} ms\n`);
    }
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

async function killCommand(handle: CommandHandle, sandboxId: string, log: E2bLogger): Promise<void> {
  try {
    await handle.kill();
  } catch (err) {
    log.warn({ sandboxId, pid: handle.pid, err: messageOf(err) }, "e2b could not kill a command");
    // Without the kill the stream may never end; disconnecting makes wait() settle.
    await handle.disconnect().catch(() => undefined);
  }
}

/** Kills every process that carries the command's mark (and the groups they lead); never throws. */
async function sweep(sbx: E2bSandbox, mark: string, log: E2bLogger): Promise<void> {
  try {
    const swept = await sbx.commands.run(toShellCommand(sweepCommand(mark)), { timeoutMs: 15_000 });
    log.debug({ sandboxId: sbx.sandboxId, signalled: swept.stdout.trim() }, "e2b swept a stopped command's processes");
  } catch (err) {
    log.warn({ sandboxId: sbx.sandboxId, err: messageOf(err) }, "e2b could not sweep a stopped command's processes; they run until the sandbox pauses or is killed");
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
