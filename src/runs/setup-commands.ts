import type { Sandbox } from "../sandbox/types.ts";
import type { Redactor } from "../util/redact.ts";
import { PhaseError } from "./phases.ts";

/**
 * Each setup command's own limit, inside the run's: a blocked connection on E2B (a host outside
 * SANDBOX_ALLOW_OUT, or on a port other than 80/443) may hang instead of failing, and one hung
 * `npm ci` must not use up the whole run before Claude has started.
 */
export const SETUP_COMMAND_TIMEOUT_MS = 10 * 60_000;

/** The repository's setup commands (e.g. `npm ci`), in order, before Claude starts. No tokens in their env. */
export async function runSetupCommands(input: {
  sandbox: Sandbox;
  commands: readonly string[];
  env: Record<string, string>;
  /** What is left of the run's time limit. */
  timeoutMs: number;
  signal: AbortSignal;
  redact: Redactor;
  /** Overrides SETUP_COMMAND_TIMEOUT_MS (tests). */
  commandTimeoutMs?: number;
}): Promise<void> {
  const ownLimit = input.commandTimeoutMs ?? SETUP_COMMAND_TIMEOUT_MS;
  const limit = input.timeoutMs > 0 ? Math.min(ownLimit, input.timeoutMs) : ownLimit;
  for (const command of input.commands) {
    const started = Date.now();
    const result = await input.sandbox.run(["bash", "-lc", command], { env: input.env, timeoutMs: limit, signal: input.signal });
    if (input.signal.aborted) return;
    if (result.exitCode !== 0) {
      const tail = (result.stderr || result.stdout).trim().split("\n").slice(-10).join("\n");
      const timedOut = Date.now() - started >= limit;
      const what = timedOut
        ? `The setup command \`${command}\` did not finish within ${Math.round(limit / 1000)} s and was stopped. If it downloads something, check that the host is on the sandbox's egress allow-list (SANDBOX_ALLOW_OUT; E2B lets host names through on ports 80 and 443 only): a blocked connection hangs rather than fails.`
        : `The setup command \`${command}\` failed with exit code ${result.exitCode}:`;
      throw new PhaseError("setup", input.redact(`${what}\n${tail}`), { category: "setup" });
    }
  }
}
