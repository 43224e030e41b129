import { createHash } from "node:crypto";
import type { ClaudeProcess } from "../agent/claude-process.ts";
import type { RunOptions, Sandbox, SandboxProvider } from "../sandbox/types.ts";

/**
 * Warm Claudes (issue 19, WARM_CLAUDE=on): after a code run's last good result its Claude process
 * is kept, waiting on stdin, in the paused sandbox, and the thread's next run in that sandbox
 * writes its prompt to it instead of starting the CLI again (≈ 50 ms to the model instead of
 * ≈ 0.7 s). Only this bot process holds them (a Map, never the Store): any other worker, a
 * restart, another sandbox, another command line or environment → a new process with --resume,
 * as before. A kept process is killed with its sandbox, on an unused reuse, after the idle limit,
 * and at shutdown. On E2B a kept process is frozen with its paused sandbox and let go of by its
 * connection (claude-process.ts): one killed then is an orphan until the sandbox is connected
 * again, and is killed there (killOrphans), before anything else runs in it.
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
  /** References of kept processes killed while their sandbox was paused (detached): to be killed at its next connect. */
  takeOrphans(sandboxId: string): string[];
  readonly size: number;
}

/** Orphans remembered at most (a sandbox that is never connected again is reaped, and its orphans with it). */
const MAX_ORPHANS = 1_000;

export const DEFAULT_WARM_IDLE_MS = 30 * 60_000;

export function createWarmRegistry(options: { idleMs?: number } = {}): WarmRegistry {
  const idleMs = options.idleMs ?? DEFAULT_WARM_IDLE_MS;
  const kept = new Map<string, { entry: WarmEntry; timer: NodeJS.Timeout }>();
  const orphans: Array<{ sandboxId: string; ref: string }> = [];
  const end = (entry: WarmEntry) => {
    const ref = entry.process.detachedAs;
    entry.process.kill();
    if (ref) orphans.push({ sandboxId: entry.sandboxId, ref });
    if (orphans.length > MAX_ORPHANS) orphans.shift();
  };
  const forget = (threadKey: string, kill: boolean) => {
    const held = kept.get(threadKey);
    if (!held) return null;
    kept.delete(threadKey);
    clearTimeout(held.timer);
    if (kill) end(held.entry);
    return held.entry;
  };
  const takeOrphans = (sandboxId: string) => {
    const refs = orphans.filter((o) => o.sandboxId === sandboxId).map((o) => o.ref);
    for (let i = orphans.length - 1; i >= 0; i--) if (orphans[i]?.sandboxId === sandboxId) orphans.splice(i, 1);
    return refs;
  };
  return {
    keep(threadKey, entry) {
      if (kept.get(threadKey)?.entry.process !== entry.process) forget(threadKey, true);
      const timer = setTimeout(() => forget(threadKey, true), idleMs);
      timer.unref();
      kept.set(threadKey, { entry, timer });
      // Gone on its own (crashed, the sandbox's lifetime): nothing to reuse.
      void entry.process.exited.then(() => (kept.get(threadKey)?.entry === entry ? forget(threadKey, false) : undefined));
    },
    take(threadKey, want) {
      const entry = forget(threadKey, false);
      if (!entry) return null;
      const fits = !entry.process.gone && entry.sandboxId === want.sandboxId && entry.sessionId === want.sessionId && entry.key === want.key;
      if (!fits) end(entry);
      return fits ? entry : null;
    },
    drop: (threadKey) => void forget(threadKey, true),
    dropSandbox(sandboxId) {
      for (const [threadKey, held] of kept) if (held.entry.sandboxId === sandboxId) forget(threadKey, true);
      // They die with it.
      takeOrphans(sandboxId);
    },
    takeOrphans,
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
 * processes) and the gateway token (rebound). A hash: the env holds the repository's secrets.
 */
export function warmKey(argv: string[], env: Record<string, string>, cwd: string): string {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--resume" || argv[i] === "--max-budget-usd") i++;
    else args.push(argv[i] ?? "");
  }
  const { ANTHROPIC_API_KEY: _token, ...rest } = env;
  const sorted = Object.entries(rest).sort(([a], [b]) => a.localeCompare(b));
  return createHash("sha256").update(JSON.stringify([args, sorted, cwd])).digest("hex");
}

/** Kills the sandbox's orphans (see above) from this connection to it; never throws. */
export async function killOrphans(warm: WarmRegistry, sandbox: Sandbox): Promise<void> {
  for (const ref of warm.takeOrphans(sandbox.id)) {
    const followed = await sandbox.follow?.(ref, { signal: AbortSignal.abort() }).catch(() => null);
    await followed?.result.catch(() => undefined);
  }
}

/**
 * The provider, with a sandbox's kept process killed when the sandbox is (reset, reaper, a failed
 * checkout), and its orphans when it is connected again.
 */
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
      if (sandbox) await killOrphans(warm, sandbox);
      return sandbox ? wrap(sandbox) : null;
    },
    list: () => provider.list(),
    killById: (id) => (warm.dropSandbox(id), provider.killById(id)),
    ...(provider.snapshots ? { snapshots: provider.snapshots } : {}),
  };
}
