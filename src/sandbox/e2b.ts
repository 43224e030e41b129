/**
 * The E2B sandbox provider: each job gets a fresh Firecracker VM built from our template
 * (template/template.ts). Everything E2B-specific lives here, behind the Sandbox interface.
 */
import {
  ALL_TRAFFIC,
  AuthenticationError,
  CommandExitError,
  FileNotFoundError,
  RateLimitError,
  Sandbox as E2bSandbox,
  SandboxError,
  SandboxNotFoundError,
  ServiceBusyError,
  TemplateError,
  TimeoutError,
} from "e2b";
import type { CommandHandle, SandboxOpts } from "e2b";
import { createE2bSnapshots } from "./e2b-snapshots.ts";
import { commandResult, createOutputTail, type OutputTail } from "./output-tail.ts";
import { newProcessMark, PROCESS_MARK_VAR, sweepCommand } from "./process-sweep.ts";
import { toShellCommand } from "./shell-quote.ts";
import { SANDBOX_APP_LABEL, type CommandResult, type CreateSandboxOptions, type RunOptions, type Sandbox, type SandboxProvider, type SandboxSummary, type StdinWriter } from "./types.ts";

/** The sandbox user of E2B templates is `user`; the template makes the repository directory. */
export const E2B_HOME = "/home/user";
export const E2B_WORKDIR = "/home/user/repo";
/** What a shell reports for a SIGKILLed process (128 + 9): E2B kills with SIGKILL. */
export const ABORTED_EXIT_CODE = 137;
/** What coreutils `timeout` reports, so a timed-out command reads the same on every provider. */
export const TIMED_OUT_EXIT_CODE = 124;

type LogFn = (obj: object, msg: string) => void;
/** The slice of a pino logger the provider uses. */
export interface E2bLogger {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  debug: LogFn;
}

export interface E2bProviderOptions {
  apiKey: string;
  template: string;
  /** Egress allow-list (hostnames/CIDRs); undefined = SDK default (open). */
  allowOut?: string[];
  /** Injected for tests: the e2b Sandbox class (or a fake with the same static create/connect/list API). */
  SandboxClass?: typeof E2bSandbox;
  log: E2bLogger;
}

export interface E2bProvider extends SandboxProvider {
  readonly name: "e2b";
}

export function createE2bProvider(options: E2bProviderOptions): E2bProvider {
  const { apiKey, template, allowOut, log } = options;
  const SandboxClass = options.SandboxClass ?? E2bSandbox;

  /** A new sandbox from our template, or (snapshots.start) from a snapshot of one. */
  const createFrom = async (source: string, create: CreateSandboxOptions): Promise<Sandbox> => {
    const opts: SandboxOpts = {
      apiKey,
      metadata: { ...create.metadata, ...SANDBOX_APP_LABEL },
      envs: create.envs,
      timeoutMs: create.timeoutMs,
      // Pausing instead of killing keeps the work of a job that overran; the reaper cleans up.
      lifecycle: { onTimeout: "pause" },
      // E2B only enforces allowOut when everything else is denied (allowOut wins over denyOut).
      ...(allowOut === undefined ? {} : { network: { allowOut: [...allowOut], denyOut: [ALL_TRAFFIC] } }),
    };
    let sbx: E2bSandbox;
    try {
      sbx = await SandboxClass.create(source, opts);
    } catch (err) {
      throw source === template ? explainApiError(err, `create a sandbox from template '${template}'`, template) : explainApiError(err, `create a sandbox from snapshot '${source}'`);
    }
    try {
      // Our template has it already; this keeps other templates (E2B_TEMPLATE=claude) usable.
      await sbx.files.makeDir(E2B_WORKDIR);
    } catch (err) {
      await killQuietly(sbx, log);
      throw new Error(`E2B sandbox ${sbx.sandboxId} started but ${E2B_WORKDIR} could not be created: ${messageOf(err)}`, {
        cause: err,
      });
    }
    log.info({ sandboxId: sbx.sandboxId, template: source }, "e2b sandbox created");
    return wrapSandbox(sbx, log);
  };

  return {
    name: "e2b",
    create: (create: CreateSandboxOptions) => createFrom(template, create),
    snapshots: createE2bSnapshots({ apiKey, SandboxClass, log, start: createFrom }),

    /**
     * Reattaches to a sandbox by id; E2B resumes it if it was paused. timeoutMs is its new
     * lifetime. A sandbox that is gone (killed, expired, reaped) gives null: the slow path.
     */
    async connect(sandboxId: string, timeoutMs: number): Promise<Sandbox | null> {
      let sbx: E2bSandbox;
      try {
        sbx = await SandboxClass.connect(sandboxId, { apiKey, timeoutMs });
      } catch (err) {
        if (err instanceof SandboxNotFoundError || (err instanceof SandboxError && (err as { statusCode?: number }).statusCode === 404)) return null;
        throw explainApiError(err, `connect to sandbox ${sandboxId}`);
      }
      log.info({ sandboxId }, "e2b sandbox connected");
      return wrapSandbox(sbx, log);
    },

    async list(): Promise<SandboxSummary[]> {
      const paginator = SandboxClass.list({ apiKey, query: { metadata: { ...SANDBOX_APP_LABEL }, state: ["running", "paused"] } });
      const out: SandboxSummary[] = [];
      while (paginator.hasNext) {
        for (const info of await paginator.nextItems()) {
          out.push({ id: info.sandboxId, state: info.state === "paused" ? "paused" : "running", startedAt: new Date(info.startedAt), metadata: info.metadata });
        }
      }
      return out;
    },

    async killById(sandboxId: string): Promise<void> {
      try {
        await SandboxClass.kill(sandboxId, { apiKey });
      } catch (err) {
        log.warn({ sandboxId, err: messageOf(err) }, "e2b could not kill a sandbox");
      }
    },
  };
}

/** A missing file is null; any other failure is an error. */
async function orNull<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof FileNotFoundError) return null;
    throw err;
  }
}

function wrapSandbox(sbx: E2bSandbox, log: E2bLogger): Sandbox {
  return {
    id: sbx.sandboxId,
    provider: "e2b",
    workdir: E2B_WORKDIR,
    homeDir: E2B_HOME,
    run: (argv, options) => runCommand(sbx, log, argv, options ?? {}),
    async writeFile(path, content) {
      // The SDK takes text or an ArrayBuffer (a Uint8Array may be a view into a larger one).
      await sbx.files.write(path, typeof content === "string" ? content : content.slice().buffer);
    },
    readFile: (path) => orNull(sbx.files.read(path)),
    readBytes: (path) => orNull(sbx.files.read(path, { format: "bytes" })),
    async pause() {
      await sbx.pause();
      log.info({ sandboxId: sbx.sandboxId }, "e2b sandbox paused");
    },
    kill: () => killQuietly(sbx, log),
  };
}

async function runCommand(sbx: E2bSandbox, log: E2bLogger, argv: string[], options: RunOptions): Promise<CommandResult> {
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
    // Background mode hands us the CommandHandle, the only way to kill the process on abort.
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
  output.attach(handle);
  if (options.onStdin) options.onStdin(e2bStdin(sbx, handle.pid, log));
  return waitForCommand({ sbx, log, argv, handle, mark, output, signal: options.signal, timeoutMs: options.timeoutMs ?? 0, started });
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
  signal: AbortSignal | undefined;
  timeoutMs: number;
  started: number;
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

async function killQuietly(sbx: E2bSandbox, log: E2bLogger): Promise<void> {
  try {
    await sbx.kill();
    log.info({ sandboxId: sbx.sandboxId }, "e2b sandbox killed");
  } catch (err) {
    log.warn({ sandboxId: sbx.sandboxId, err: messageOf(err) }, "e2b sandbox kill failed; the reaper will retry");
  }
}

/** Turns the SDK's API errors into messages that say what to do about them. */
function explainApiError(err: unknown, action: string, template?: string): Error {
  const detail = messageOf(err);
  let message: string;
  if (err instanceof AuthenticationError) message = `E2B rejected the API key: check E2B_API_KEY (${detail})`;
  else if (err instanceof RateLimitError)
    message = `E2B rate limit hit while trying to ${action}: retry later or run fewer jobs at once (${detail})`;
  else if (err instanceof ServiceBusyError) message = `E2B is busy and could not ${action}: retry in a minute (${detail})`;
  else if (err instanceof SandboxNotFoundError) message = `E2B sandbox not found while trying to ${action}: it was killed or expired (${detail})`;
  else if (template !== undefined && err instanceof TemplateError)
    message = `E2B template '${template}' is too old for this SDK: rebuild it with npm run template:build (${detail})`;
  else if (template !== undefined && err instanceof SandboxError && (err.statusCode === 404 || /template.*not found/i.test(detail)))
    message = `E2B template '${template}' not found: build it with npm run template:build or set E2B_TEMPLATE (${detail})`;
  else message = `E2B could not ${action}: ${detail}`;
  return new Error(message, { cause: err });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
