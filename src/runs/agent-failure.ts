import type { ClaudeRunOutput } from "../agent/run-claude.ts";

/** Turns a finished Claude process into null (it worked) or a sentence a user can act on. Pure. */
export function describeAgentFailure(out: Pick<ClaudeRunOutput, "exitCode" | "result" | "stderrTail" | "unparsed">): string | null {
  const r = out.result;
  if (r && !r.is_error && r.subtype === "success" && out.exitCode === 0) return null;
  if (r?.subtype === "error_max_turns") {
    return `Claude stopped at the turn limit after ${r.num_turns} turns before finishing. Mention the bot again to let it continue, or raise the max-turns setting.`;
  }
  if (r?.subtype === "error_max_budget_usd") {
    return `Claude stopped at the cost limit for this run. Mention the bot again to continue, or raise the budget.`;
  }
  if (r?.is_error) {
    const text = (r.result ?? (r.errors ?? []).map(String).join("; ")).trim();
    if (/401|authentication|invalid x-api-key|api key/i.test(text)) {
      return `The model API refused the credentials (${text}). Check ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN in the bot's configuration.`;
    }
    return `Claude Code reported an error${text ? `: ${text.replace(/[.\s]+$/, "")}` : ` (${r.subtype})`}. If it is a model API error, try again in a few minutes.`;
  }
  if (r && r.subtype !== "success") return `Claude Code ended with "${r.subtype}". Mention the bot again to retry.`;
  const detail = (out.stderrTail || out.unparsed.join("\n")).trim();
  return `Claude Code exited with code ${out.exitCode} without a result${detail ? `: ${detail.slice(-800)}` : ""}. Check that CLAUDE_COMMAND points at the Claude Code CLI in the sandbox.`;
}
