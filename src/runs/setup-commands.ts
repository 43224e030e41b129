import type { Sandbox } from "../sandbox/types.ts";
import type { Redactor } from "../util/redact.ts";
import { PhaseError } from "./phases.ts";

/** The repository's setup commands (e.g. `npm ci`), in order, before Claude starts. No tokens in their env. */
export async function runSetupCommands(input: { sandbox: Sandbox; commands: readonly string[]; env: Record<string, string>; timeoutMs: number; signal: AbortSignal; redact: Redactor }): Promise<void> {
  for (const command of input.commands) {
    const result = await input.sandbox.run(["bash", "-lc", command], { env: input.env, timeoutMs: input.timeoutMs, signal: input.signal });
    if (input.signal.aborted) return;
    if (result.exitCode !== 0) {
      const tail = (result.stderr || result.stdout).trim().split("\n").slice(-10).join("\n");
      throw new PhaseError("setup", input.redact(`The setup command \`${command}\` failed with exit code ${result.exitCode}:\n${tail}`), { category: "setup" });
    }
  }
}
