import { ERROR_CATEGORIES, type ErrorCategory } from "../error-category.ts";
import { PHASE_LABEL, PHASES, type Phase } from "../phases.ts";
import type { RunSummary } from "../outcome.ts";
import { fence, inertMentions, inlineCode } from "../../util/markdown.ts";
import { formatDuration, formatUsd, runMarker } from "./format.ts";

/** The final report that replaces the progress comment. Pure: summary in, markdown out. */

export type { Outcome, RunSummary } from "../outcome.ts";

const MAX_COMMENT = 65_536;
/** Headroom under GitHub's limit for the parts around the cut sections. */
const BUDGET = MAX_COMMENT - 2_000;

/** The outcome line (the report's heading, without its markdown): the check run's title too. */
export function headline(s: RunSummary): string {
  switch (s.outcome) {
    case "done":
      if (s.review) return `### ✅ Reviewed — ${s.review.event.toLowerCase().replace("_", " ")}`;
      if (s.plan) return `### ✅ Plan ready — reply \`${s.plan.approveWith}\` to carry it out`;
      if (s.patch) return "### ✅ Done — a patch for the fork (nothing pushed)";
      return s.pr ? `### ✅ Done — ${s.pr.created ? "opened" : "updated"} #${s.pr.number}` : "### ✅ Done";
    case "no_changes":
      return "### ⚪ Done — no changes, so no pull request";
    case "canceled":
      return "### ⏹️ Canceled";
    case "failed":
      return s.failedPhase ? `### ❌ Failed in ${s.failedPhase}: ${PHASE_LABEL[s.failedPhase]}` : "### ❌ Failed";
  }
}

function planLine(plan: NonNullable<RunSummary["plan"]>): string {
  const what = plan.htmlUrl ? `[The plan](${plan.htmlUrl})` : "The plan";
  const go = `Reply \`${plan.approveWith}\` to carry it out in this session on this branch (remarks may follow: \`${plan.approveWith}, but …\`), or ask again for a new plan.`;
  return `${what} has ${plan.steps} step${plan.steps === 1 ? "" : "s"}; nothing was written or pushed. ${go}`;
}

function cut(text: string, max: number, what: string): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max))}\n\n… (${what} cut: ${text.length - max} more characters)`;
}

function tokens(usage: Record<string, unknown>): string | null {
  const n = (key: string) => (typeof usage[key] === "number" ? (usage[key] as number) : 0);
  const input = n("input_tokens") + n("cache_read_input_tokens") + n("cache_creation_input_tokens");
  const output = n("output_tokens");
  if (input + output === 0) return null;
  const k = (x: number) => (x >= 10_000 ? `${Math.round(x / 1000)}k` : x >= 1000 ? `${(x / 1000).toFixed(1)}k` : String(x));
  return `${k(input)} in / ${k(output)} out`;
}

function facts(s: RunSummary): string[] {
  const r = s.result;
  const linkBranch = s.outcome === "done" && !s.patch && !s.review && !s.plan;
  const line1 = [linkBranch ? `**Branch:** [\`${s.branch}\`](${s.branchUrl})` : `**Branch:** \`${s.branch}\``];
  if (s.review) line1.push(`**Review:** [${s.review.inline} inline comment${s.review.inline === 1 ? "" : "s"}](${s.review.htmlUrl})${s.review.moved ? ` (+${s.review.moved} outside the diff, in the summary)` : ""}`);
  if (s.pr) line1.push(`**Pull request:** [#${s.pr.number}](${s.pr.htmlUrl})`);
  line1.push(`**Duration:** ${formatDuration(s.durationMs)}`);
  if (s.model) line1.push(`**Model:** \`${s.model}\``);
  if (r) line1.push(`**Turns:** ${r.num_turns}`);
  const tok = r ? tokens(r.usage) : null;
  if (tok) line1.push(`**Tokens:** ${tok}`);
  const claudeCost = s.gatewayCostUsd ?? r?.total_cost_usd ?? 0;
  const metered = s.gatewayCostUsd !== undefined ? ", metered at the bot's model gateway" : "";
  const cost = `**Cost:** ${formatUsd(claudeCost + s.sandboxCostUsd)} (Claude ${formatUsd(claudeCost)}${metered} + sandbox ${formatUsd(s.sandboxCostUsd)})`;
  const how = { new: "new", live: "resumed in the live sandbox", warm: "resumed warm in the live sandbox", restored: "resumed from the saved transcript" }[s.session];
  const session = r ? `**Session:** \`${r.session_id}\` (${how})` : null;
  const sandbox = s.snapshot ? `**Sandbox:** ${snapshotText(s.snapshot)}` : null;
  const phases = PHASES.filter((p) => s.phaseMs[p] !== undefined).map((p) => `${p} ${formatDuration(s.phaseMs[p]!)}`);
  const limits = s.limits?.length ? `<sub>Limits: ${s.limits.join(" · ")}</sub>` : "";
  return [line1.join(" · "), [cost, session, sandbox].filter(Boolean).join(" · "), phases.length ? `<sub>Phases: ${phases.join(" · ")}</sub>` : "", limits].filter(Boolean);
}

/**
 * Where the sandbox came from when a repository snapshot was involved, and the snapshot the run
 * took: its time was sandbox time of this run, so it is in the sandbox cost above.
 */
function snapshotText(note: NonNullable<RunSummary["snapshot"]>): string {
  const parts: string[] = [];
  if (note.used) parts.push(`from the repository's snapshot of \`${note.used.slice(0, 7)}\` (${note.setup === "skipped" ? "setup skipped" : `setup re-run${rerunReason(note.changedInputs)}`})`);
  if (note.taken) parts.push(`snapshot taken for the next threads (${note.takenMs === undefined ? "" : `${note.takenMs < 1000 ? "under 1s" : formatDuration(note.takenMs)}, `}in the sandbox cost)`);
  return parts.join("; ");
}

function rerunReason(changed: string[] | null | undefined): string {
  if (changed === undefined) return "";
  if (changed === null) return ": what changed since could not be listed";
  if (changed.length === 0) return "";
  // Names come from the repository: inert in a code span, and at most 120 characters each.
  const named = changed.slice(0, 2).map((f) => inlineCode(f, { maxChars: 120 }));
  const rest = changed.length - named.length;
  return `: ${rest > 0 ? `${named.join(", ")} and ${rest} more` : named.join(" and ")} changed`;
}

/** The messages the run took in while working, and any that came too late to be. */
function steeringLines(notes: NonNullable<RunSummary["steering"]>): string[] {
  const names = (list: typeof notes) => list.map((m) => `@${m.author}`).join(", ");
  const taken = notes.filter((m) => !m.missed);
  const missed = notes.filter((m) => m.missed);
  const lines: string[] = [];
  if (taken.length) lines.push("", `📨 Taken in while working: ${names(taken)} (each message went into the running session at Claude's next turn).`);
  if (missed.length) lines.push("", `📭 Arrived as Claude was finishing and was not taken in: ${names(missed)}. Mention me again to have it done.`);
  return lines;
}

export function renderReport(s: RunSummary, redact: (text: string) => string = (t) => t): string {
  const r = s.result;
  const top: string[] = [runMarker(s.runId), headline(s), "", ...facts(s)];
  if (s.outcome === "failed" || s.outcome === "canceled") {
    const category = s.errorCategory ?? (s.outcome === "canceled" ? "canceled" : "internal");
    const reason = s.error ? redact(s.error).split("\n").join("\n> ") : "";
    top.push("", `> **${category.replace("_", " ")}**${reason ? `: ${reason}` : ""}`, ">", `> ${ERROR_CATEGORIES[category]}`);
  }
  if (s.outcome === "no_changes") top.push("", "Claude finished without changing any file, so nothing was pushed.");
  if (s.ciLoopEnded) top.push("", "This CI follow-up changed nothing, so the automatic fixing of this pull request's CI stops here. Push a fix, or mention me with `fix-ci` to try again.");
  if (s.plan) top.push("", planLine(s.plan));
  top.push(...steeringLines(s.steering ?? []));
  if (s.patch) top.push("", "This pull request comes from a fork, and the bot never pushes to forks. The change is below as a patch: apply it with `git apply`, or ask the author to.");
  if (s.unsigned) top.push("", `Pushed unsigned: ${s.unsigned}, which GitHub's API cannot express, so the commits were pushed from the bot's machine instead of being made (and signed) through the API.`);

  const fileLines =
    s.files.length > 0
      ? ["", `<details><summary>Files changed (${s.files.length})</summary>`, "", ...s.files.map((f) => `- ${inlineCode(f.path, { maxChars: 200 })} (+${f.added} −${f.removed})`), "", "</details>"]
      : [];
  const json = r ? redact(JSON.stringify(r, null, 2)) : "";
  // A review's structured answer is already posted as the review, a plan as its comment: the JSON is in the result block.
  const finalText = s.review || s.plan?.htmlUrl ? "" : inertMentions(redact(r?.result ?? ""));
  const patch = s.patch ? redact(s.patch) : "";

  // Claude's final text is kept whole before anything else is cut: the patch, the JSON, then the
  // file list give way first; a part with no room left is dropped with a note.
  let room = BUDGET - top.join("\n").length - 600;
  const textPart = cut(finalText, room, "Claude's final text");
  room -= textPart.length;
  const omitted: string[] = [];
  const fit = (text: string, what: string, overhead: number): string => {
    if (!text) return "";
    if (room < overhead + 200) {
      omitted.push(what);
      return "";
    }
    const part = cut(text, room - overhead, what);
    room -= part.length + overhead;
    return part;
  };
  const patchPart = fit(patch, "the patch", 120);
  const jsonPart = fit(json, "result JSON", 120);
  const filesPart = fit(fileLines.join("\n"), "file list", 0);

  const out = [...top];
  if (textPart) out.push("", textPart);
  if (filesPart) out.push(filesPart);
  if (patchPart) out.push("", "<details><summary>The patch</summary>", "", fence(patchPart, "diff"), "", "</details>");
  if (jsonPart) out.push("", "<details><summary>Claude's result (JSON)</summary>", "", fence(jsonPart, "json"), "", "</details>");
  if (omitted.length) out.push("", `<sub>Left out to stay within GitHub's comment size: ${omitted.join(", ")}.</sub>`);
  return out.join("\n");
}
