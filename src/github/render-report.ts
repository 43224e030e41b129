import type { ResultEvent } from "../agent/stream-events.ts";
import { PHASE_LABEL, type Phase } from "../runs/phases.ts";
import { fence, formatDuration, formatUsd, runMarker } from "./format.ts";

/** The final report that replaces the progress comment. Pure: summary in, markdown out. */

export type Outcome = "done" | "no_changes" | "failed" | "canceled";

export interface RunSummary {
  runId: number;
  outcome: Outcome;
  failedPhase?: Phase | undefined;
  error?: string | undefined;
  branch: string;
  branchUrl: string;
  pr?: { number: number; htmlUrl: string; created: boolean } | undefined;
  durationMs: number;
  result: ResultEvent | null;
  resumed: boolean;
  files: Array<{ path: string; added: number; removed: number }>;
}

const MAX_COMMENT = 65_536;
/** Headroom under GitHub's limit for the parts around the cut sections. */
const BUDGET = MAX_COMMENT - 2_000;

function headline(s: RunSummary): string {
  switch (s.outcome) {
    case "done":
      return s.pr ? `### ✅ Done — ${s.pr.created ? "opened" : "updated"} #${s.pr.number}` : "### ✅ Done";
    case "no_changes":
      return "### ⚪ Done — no changes, so no pull request";
    case "canceled":
      return "### ⏹️ Canceled";
    case "failed":
      return `### ❌ Failed while ${s.failedPhase ? PHASE_LABEL[s.failedPhase] : "running"}`;
  }
}

function cut(text: string, max: number, what: string): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max))}\n\n… (${what} cut: ${text.length - max} more characters)`;
}

export function renderReport(s: RunSummary, redact: (text: string) => string = (t) => t): string {
  const r = s.result;
  const facts = [`**Branch:** [\`${s.branch}\`](${s.branchUrl})`];
  if (s.pr) facts.push(`**Pull request:** #${s.pr.number}`);
  facts.push(`**Duration:** ${formatDuration(s.durationMs)}`);
  if (r) {
    facts.push(`**Turns:** ${r.num_turns}`, `**Cost:** ${formatUsd(r.total_cost_usd)}`);
  }
  const session = r ? `**Session:** \`${r.session_id}\`${s.resumed ? " (resumed)" : " (new)"}` : "";

  const top: string[] = [runMarker(s.runId), headline(s), "", facts.join(" · ")];
  if (session) top.push(session);
  if (s.outcome === "failed" && s.error) top.push("", `> ${redact(s.error).split("\n").join("\n> ")}`);
  if (s.outcome === "no_changes") top.push("", "Claude finished without changing any file, so nothing was pushed.");

  const fileLines =
    s.files.length > 0
      ? ["", "<details><summary>Files changed</summary>", "", ...s.files.map((f) => `- \`${f.path}\` (+${f.added} −${f.removed})`), "", "</details>"]
      : [];
  const json = r ? redact(JSON.stringify(r, null, 2)) : "";
  const finalText = redact(r?.result ?? "");

  // Claude's final text is kept whole before anything else is cut: the JSON first, then files.
  const fixed = top.join("\n").length + 400;
  let room = BUDGET - fixed - finalText.length;
  const jsonPart = json ? cut(json, Math.max(0, room - 200), "result JSON") : "";
  room -= jsonPart.length;
  const filesPart = cut(fileLines.join("\n"), Math.max(0, room), "file list");
  const textPart = cut(finalText, BUDGET - fixed, "Claude's final text");

  const out = [...top];
  if (textPart) out.push("", textPart);
  if (filesPart) out.push(filesPart);
  if (jsonPart) out.push("", "<details><summary>Claude's result (JSON)</summary>", "", fence(jsonPart, "json"), "", "</details>");
  return out.join("\n");
}
