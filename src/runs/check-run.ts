import { inlineCode } from "../util/markdown.ts";
import type { CheckConclusion, CheckRunView } from "../github/check-runs.ts";
import { ERROR_CATEGORIES } from "./error-category.ts";
import type { RunSummary } from "./outcome.ts";
import { PHASE_LABEL, type Phase } from "./phases.ts";
import { headline } from "./report/render-report.ts";

/**
 * What a run's check run says, from the run's state: in progress while a phase runs, then the
 * outcome. A run that failed, or that should have answered but posted nothing (its report could
 * not be written and nothing else was published), is a failure: never a green check. Pure.
 */

export interface CheckRunSettings {
  /** The deployment's PUBLIC_URL: details_url is then the run's dashboard page. */
  publicUrl?: string | undefined;
}

export function detailsUrl(runId: number, publicUrl: string | undefined): string | undefined {
  return publicUrl ? `${publicUrl.replace(/\/+$/, "")}/dashboard/runs/${runId}` : undefined;
}

export function inProgressView(runId: number, phase: Phase, settings: CheckRunSettings): CheckRunView {
  return {
    status: "in_progress",
    title: `Working on it — ${PHASE_LABEL[phase]}`,
    summary: `Run ${runId} is ${PHASE_LABEL[phase]}. The comment in the thread shows Claude's steps as it goes.`,
    details_url: detailsUrl(runId, settings.publicUrl),
  };
}

/** Whether the run left anything where people look other than its report: a push, a pull request, a review. */
function publishedElsewhere(s: RunSummary): boolean {
  return s.outcome === "done" && !s.patch && (s.review !== undefined || s.pr !== undefined || s.files.length > 0);
}

export function conclusionFor(s: RunSummary, reportPosted: boolean): CheckConclusion {
  if (s.outcome === "canceled") return "cancelled";
  if (s.outcome === "failed") return "failure";
  if (!reportPosted && !publishedElsewhere(s)) return "failure";
  return s.outcome === "no_changes" ? "neutral" : "success";
}

export function finishedView(s: RunSummary, reportPosted: boolean, settings: CheckRunSettings, redact: (text: string) => string = (t) => t): CheckRunView {
  const title = headline(s).replace(/^#+\s*/, "");
  return {
    status: "completed",
    conclusion: conclusionFor(s, reportPosted),
    title: reportPosted ? title : `${title} (the report could not be posted)`,
    summary: shortReport(s, reportPosted, redact),
    details_url: detailsUrl(s.runId, settings.publicUrl),
  };
}

/** The report's first lines: what was published, or what failed and what to do; the files changed. */
function shortReport(s: RunSummary, reportPosted: boolean, redact: (text: string) => string): string {
  const lines: string[] = [];
  if (s.pr) lines.push(`Pull request: [#${s.pr.number}](${s.pr.htmlUrl})`);
  if (s.review) lines.push(`Review: [${s.review.inline} inline comment${s.review.inline === 1 ? "" : "s"}](${s.review.htmlUrl})`);
  if (s.outcome === "done" && !s.review && !s.patch) lines.push(`Branch: \`${s.branch}\``);
  if (s.patch) lines.push("A pull request from a fork: the change is a patch in the report; nothing was pushed.");
  if (s.outcome === "no_changes") lines.push("Claude finished without changing any file, so nothing was pushed.");
  if (s.outcome === "failed" || s.outcome === "canceled") {
    const category = s.errorCategory ?? (s.outcome === "canceled" ? "canceled" : "internal");
    lines.push(`**${category.replace("_", " ")}**${s.error ? `: ${redact(s.error)}` : ""}`, "", ERROR_CATEGORIES[category]);
  }
  if (s.files.length > 0) lines.push("", `Files changed (${s.files.length}):`, ...s.files.slice(0, 20).map((f) => `- ${inlineCode(f.path, { maxChars: 200 })} (+${f.added} −${f.removed})`));
  if (s.files.length > 20) lines.push(`- … and ${s.files.length - 20} more`);
  if (!reportPosted) lines.push("", "The report comment could not be written to the thread; this check run is the run's only report.");
  lines.push("", `<sub>Run ${s.runId} of claude-sandbox-bot.</sub>`);
  return lines.join("\n");
}

