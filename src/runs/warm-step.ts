import type { ClaudeProcess } from "../agent/claude-process.ts";
import type { KeptProcess } from "../agent/run-claude.ts";
import type { Sandbox } from "../sandbox/types.ts";
import type { Session } from "./session.ts";
import { sweepKept, warmKey, type WarmRegistry } from "./warm-claude.ts";

/**
 * The run's side of a warm Claude (warm-claude.ts): the thread's kept process when it fits this
 * run (a live session in the same sandbox, the same command line and environment, its gateway
 * token rebound to this run), and keeping this run's process for the next one.
 */

export interface WarmUse {
  registry: WarmRegistry;
  threadKey: string;
  /** Binds the kept process's gateway token to this run (its cap, metering, close); false: it cannot serve. */
  rebind(token: string): Promise<boolean>;
  log?: { info(obj: object, msg: string): void };
}

export async function keptProcessFor(
  warm: WarmUse,
  run: { sandbox: Sandbox; session: Session; argv: string[]; env: Record<string, string>; startFiles?: string },
): Promise<{ kept: KeptProcess; settle(sessionId: string | null): void }> {
  const key = warmKey(run.argv, run.env, run.sandbox.workdir, run.startFiles);
  const sandboxId = run.sandbox.id;
  let entry = run.session.path === "live" ? warm.registry.take(warm.threadKey, { sandboxId, sessionId: run.session.id, key }) : null;
  // A new session or a restored one: whatever was kept for the thread is of no use now.
  if (run.session.path !== "live") warm.registry.drop(warm.threadKey);
  // E2B: the process was let go of at the pause; this run's connection takes it up again.
  if (entry && !(await entry.process.adopt(run.sandbox))) entry = null;
  if (entry && !(await warm.rebind(entry.token).catch(() => false))) {
    entry.process.kill();
    entry = null;
  }
  // Whatever else is kept in this sandbox (one that did not fit, one a restarted bot lost track of)
  // ends here. Only where a process can outlive its connection (E2B): a local one that is dropped
  // is killed, and one whose bot died reads EOF and exits.
  if (!entry && run.session.path === "live" && run.sandbox.follow) await sweepKept(run.sandbox);
  warm.log?.info({ warm: entry !== null }, entry ? "the thread's Claude is still running: the prompt goes to it" : "starting Claude");
  const token = entry?.token ?? run.env.ANTHROPIC_API_KEY ?? "";
  let parked: ClaudeProcess | null = null;
  return {
    kept: { reuse: entry?.process ?? null, park: (process) => (parked = process) },
    settle(sessionId) {
      if (!parked) return;
      if (sessionId && token) warm.registry.keep(warm.threadKey, { process: parked, sandboxId, sessionId, key, token });
      else parked.kill();
    },
  };
}
