import type { Logger } from "pino";
import type { SandboxPool } from "../sandbox/pool.ts";
import type { Sandbox, SandboxProvider } from "../sandbox/types.ts";
import type { RunRecord } from "../store/types.ts";
import { withTimeout } from "../util/with-timeout.ts";
import { sandboxLifetimeMs } from "./limits.ts";
import { PhaseError } from "./phases.ts";

/** Getting a sandbox for a run (the thread's paused one, or a new one) and keeping it after. */

const SANDBOX_START_TIMEOUT_MS = 120_000;

export interface SandboxPhaseDeps {
  sandboxes: SandboxProvider;
  /** SANDBOX_TIMEOUT_SECONDS: the agent's ceiling; the sandbox lives a publish margin longer (limits.ts). */
  timeoutMs: number;
  /** SANDBOX_POOL_SIZE > 0: started sandboxes waiting for a first run (sandbox/pool.ts). */
  pool?: SandboxPool;
}

/** The paused sandbox of the thread's last run, or null when it is gone (or unreachable): the slow path. */
export async function reconnect(deps: SandboxPhaseDeps, id: string, log: Logger): Promise<Sandbox | null> {
  try {
    return await deps.sandboxes.connect(id, sandboxLifetimeMs(deps.timeoutMs));
  } catch (error) {
    log.warn({ err: error, sandbox: id }, "could not reconnect to the thread's sandbox; starting a new one");
    return null;
  }
}

/**
 * A new sandbox, labelled for the reaper; one that does not start in time is given up on (and
 * killed if it starts late). The pool's, when it has one ready (the pool binds it to the thread).
 */
export async function startSandbox(deps: SandboxPhaseDeps, run: RunRecord, log?: Logger): Promise<Sandbox> {
  const pooled = await deps.pool?.take(run.threadKey).catch((error: unknown) => {
    log?.warn({ err: error }, "could not take a sandbox from the pool; starting a new one");
    return null;
  });
  if (pooled) {
    log?.info({ sandbox: pooled.id }, "a sandbox from the pool");
    return pooled;
  }
  const creating = deps.sandboxes.create({
    // The reaper keeps a running sandbox while a run of its thread runs (a follow-up reconnects
    // without relabelling it; E2B metadata is fixed at create); run is kept for the logs.
    metadata: { app: "claude-sandbox-bot", thread: run.threadKey, run: String(run.id) },
    timeoutMs: sandboxLifetimeMs(deps.timeoutMs),
  });
  let gaveUp = false;
  creating.then((late) => (gaveUp ? late.kill() : undefined)).catch(() => undefined);
  return withTimeout(creating, SANDBOX_START_TIMEOUT_MS, `it did not start within ${SANDBOX_START_TIMEOUT_MS / 1000} s`).catch((error: unknown) => {
    gaveUp = true;
    throw new PhaseError("sandbox", `The sandbox could not be started: ${(error as Error).message}.`, { cause: error, category: "sandbox" });
  });
}

/** Pauses the sandbox for the thread's next request; one that cannot pause is killed. */
export async function keepForNextRun(sandbox: Sandbox, log: Logger): Promise<string | null> {
  try {
    await sandbox.pause();
    return sandbox.id;
  } catch (error) {
    log.warn({ err: error, sandbox: sandbox.id }, "could not pause the sandbox; killing it (the next run restores the transcript)");
    await sandbox.kill().catch(() => undefined);
    return null;
  }
}
