import { createHash } from "node:crypto";
import type { ClaudeProcess } from "../agent/claude-process.ts";
import { sandboxMark, sweepCommand, WARM_MARK_VAR } from "../sandbox/process-sweep.ts";
import type { RunOptions, Sandbox, SandboxProvider } from "../sandbox/types.ts";

/**
 * Warm Claudes (issue 19, WARM_CLAUDE=on): after a code run's last good result its Claude process
 * is kept, waiting on stdin, in the paused sandbox, and the thread's next run in that sandbox
 * writes its prompt to it instead of starting the CLI again (≈ 50 ms to the model instead of
 * ≈ 0.7 s). Only this bot process holds them (a Map, never the Store): any other worker, a
 * restart, another sandbox, another command line or environment → a new process with --resume,
 * as before. A kept process is killed with its sandbox, on an unused reuse, after the idle limit,
 * and at shutdown. On E2B a kept process is frozen with its paused sandbox and let go of by its
 * connection (claude-process.ts): killing one then only forgets it, as does a restart of this bot
 * process; the sandbox's next code run that does not take it up sweeps it (sweepKept).
 */

export interface WarmEntry {
  process: ClaudeProcess;
  sandboxId: string;
  sessionId: string;
  /** What the process was started with (warmKey): a run that needs anything else starts its own. */
  key: string;
  /** The gateway token in its environment, bound to whichever run holds it (rebindRun). */
  token: string;
}

export interface WarmRegistry {
  keep(threadKey: string, entry: WarmEntry): void;
  /** The thread's kept process when it fits (same sandbox, session and key), now the caller's; any other one is killed. */
  take(threadKey: string, want: { sandboxId: string; sessionId: string; key: string }): WarmEntry | null;
  drop(threadKey: string): void;
  dropSandbox(sandboxId: string): void;
  closeAll(): void;
  readonly size: number;
}

export const DEFAULT_WARM_IDLE_MS = 30 * 60_000;
/**
 * Kept processes at most, per bot process; past it the one kept longest ago goes. On the local
 * provider each is a CLI on this machine (≈ 180 MB); on E2B it lives in its paused sandbox.
 */
export const DEFAULT_MAX_KEPT = 32;

export function createWarmRegistry(options: { idleMs?: number; maxKept?: number } = {}): WarmRegistry {
  const idleMs = options.idleMs ?? DEFAULT_WARM_IDLE_MS;
  const maxKept = options.maxKept ?? DEFAULT_MAX_KEPT;
  const kept = new Map<string, { entry: WarmEntry; timer: NodeJS.Timeout }>();
  const forget = (threadKey: string, kill: boolean) => {
    const held = kept.get(threadKey);
    if (!held) return null;
    kept.delete(threadKey);
    clearTimeout(held.timer);
    if (kill) held.entry.process.kill();
    return held.entry;
  };
  return {
    keep(threadKey, entry) {
      if (kept.get(threadKey)?.entry.process !== entry.process) forget(threadKey, true);
      const timer = setTimeout(() => forget(threadKey, true), idleMs);
      timer.unref();
      kept.set(threadKey, { entry, timer });
      // The Map keeps insertion order: its first key was kept longest ago.
      while (kept.size > maxKept) forget(kept.keys().next().value!, true);
      // Gone on its own (crashed, the sandbox's lifetime): nothing to reuse.
      void entry.process.exited.then(() => (kept.get(threadKey)?.entry === entry ? forget(threadKey, false) : undefined));
    },
    take(threadKey, want) {
      const entry = forget(threadKey, false);
      if (!entry) return null;
      const fits = !entry.process.gone && entry.sandboxId === want.sandboxId && entry.sessionId === want.sessionId && entry.key === want.key;
      if (!fits) entry.process.kill();
      return fits ? entry : null;
    },
    drop: (threadKey) => void forget(threadKey, true),
    dropSandbox(sandboxId) {
      for (const [threadKey, held] of kept) if (held.entry.sandboxId === sandboxId) forget(threadKey, true);
    },
    closeAll() {
      for (const threadKey of [...kept.keys()]) forget(threadKey, true);
    },
    get size() {
      return kept.size;
    },
  };
}

/**
 * What a process was started with, minus what a later run may change on a kept one: the session
 * (--resume of the same session is the kept one), the budget flag (not given to warmable
 * processes) and the gateway token (rebound). `startFiles`: what the CLI reads at start from a
 * file its command line names (the MCP config: same path, new servers). A hash: the env holds the
 * repository's secrets.
 */
export function warmKey(argv: string[], env: Record<string, string>, cwd: string, startFiles = ""): string {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--resume" || argv[i] === "--max-budget-usd") i++;
    else args.push(argv[i] ?? "");
  }
  const { ANTHROPIC_API_KEY: _token, ...rest } = env;
  const sorted = Object.entries(rest).sort(([a], [b]) => a.localeCompare(b));
  return createHash("sha256").update(JSON.stringify([args, sorted, cwd, startFiles])).digest("hex");
}

/** The environment that marks a process that may be kept in this sandbox, for sweepKept. */
export function warmMarkEnv(sandboxId: string): Record<string, string> {
  return { [WARM_MARK_VAR]: sandboxMark(sandboxId) };
}

/** Kills every kept Claude in the sandbox (and what it started): for a run that does not take one up. Never throws. */
export async function sweepKept(sandbox: Sandbox): Promise<void> {
  try {
    await sandbox.run(sweepCommand(sandboxMark(sandbox.id), WARM_MARK_VAR), { timeoutMs: 15_000 });
  } catch {
    // The run goes on without it: a kept process left over only waits on its stdin.
  }
}

/** The provider, with a sandbox's kept process killed when the sandbox is (reset, reaper, a failed checkout). */
export function killingWarmWithSandboxes(provider: SandboxProvider, warm: WarmRegistry): SandboxProvider {
  const wrap = (sandbox: Sandbox): Sandbox => ({
    id: sandbox.id,
    provider: sandbox.provider,
    workdir: sandbox.workdir,
    homeDir: sandbox.homeDir,
    run: (argv, options) => sandbox.run(argv, options),
    ...(sandbox.follow ? { follow: (ref: string, options: RunOptions) => sandbox.follow!(ref, options) } : {}),
    writeFile: (path, content) => sandbox.writeFile(path, content),
    readFile: (path) => sandbox.readFile(path),
    readBytes: (path) => sandbox.readBytes(path),
    pause: () => sandbox.pause(),
    kill: () => (warm.dropSandbox(sandbox.id), sandbox.kill()),
  });
  return {
    name: provider.name,
    create: async (options) => wrap(await provider.create(options)),
    connect: async (id, timeoutMs) => {
      const sandbox = await provider.connect(id, timeoutMs);
      return sandbox ? wrap(sandbox) : null;
    },
    list: () => provider.list(),
    killById: (id) => (warm.dropSandbox(id), provider.killById(id)),
    ...(provider.snapshots ? { snapshots: provider.snapshots } : {}),
  };
}
