import type { ClaudeRunOutput } from "../agent/run-claude.ts";
import type { ErrorCategory } from "./error-category.ts";

/** Turns a finished Claude process into null (it worked) or a categorised failure. Pure. */

export interface AgentFailure {
  category: ErrorCategory;
  message: string;
}

const AUTH = /\b401\b|authentication|invalid x-api-key|invalid api key|oauth token/i;

export function describeAgentFailure(out: Pick<ClaudeRunOutput, "exitCode" | "result" | "stderrTail" | "unparsed" | "timedOut">): AgentFailure | null {
  const r = out.result;
  if (out.timedOut) return { category: "timeout", message: "Claude Code was stopped at the run's time limit before it finished." };
  if (r && !r.is_error && r.subtype === "success" && out.exitCode === 0) return null;
  if (r?.subtype === "error_max_turns") return { category: "max_turns", message: `Claude stopped at the turn limit after ${r.num_turns} turns.` };
  if (r?.subtype === "error_max_budget_usd") return { category: "budget", message: "Claude stopped at the cost limit for this run." };
  if (r?.is_error || (r && r.subtype !== "success")) {
    const text = (r.result ?? (r.errors ?? []).map(String).join("; ")).trim().replace(/[.\s]+$/, "");
    if (AUTH.test(text)) return { category: "auth", message: `The model API refused the credentials: ${text}.` };
    return { category: "model_api", message: `Claude Code reported an error: ${text || r.subtype}.` };
  }
  const detail = (out.stderrTail || out.unparsed.join("\n")).trim();
  if (AUTH.test(detail)) return { category: "auth", message: `Claude Code could not authenticate: ${detail.slice(-400)}` };
  return {
    category: "sandbox",
    message: `Claude Code exited with code ${out.exitCode} without a result${detail ? `: ${detail.slice(-800)}` : ""}. Check that CLAUDE_COMMAND points at the Claude Code CLI in the sandbox.`,
  };
}
