import { describe, expect, it } from "vitest";
import { conclusionFor, detailsUrl, finishedView, inProgressView } from "../../src/runs/check-run.ts";
import type { CheckConclusion } from "../../src/github/check-runs.ts";
import { storedCheckRun } from "../../src/runs/check-run-tracker.ts";
import type { RunSummary } from "../../src/runs/outcome.ts";
import { createRedactor } from "../../src/util/redact.ts";

const base: RunSummary = {
  runId: 12,
  outcome: "done",
  branch: "claude/issue-4",
  branchUrl: "https://github.com/acme/w/tree/claude/issue-4",
  pr: { number: 5, htmlUrl: "https://github.com/acme/w/pull/5", created: true },
  durationMs: 65_000,
  phaseMs: {},
  sandboxCostUsd: 0,
  result: null,
  session: "new",
  files: [{ path: "CONTRIBUTING.md", added: 20, removed: 0 }],
};

const review = { htmlUrl: "https://github.com/acme/w/pull/5#pullrequestreview-1", event: "COMMENT", inline: 2, moved: 0 };
const failedAgent: RunSummary = { ...base, outcome: "failed", pr: undefined, files: [], failedPhase: "agent", errorCategory: "model_api", error: "model is not available to this key" };
const noChanges: RunSummary = { ...base, outcome: "no_changes", pr: undefined, files: [] };
const canceled: RunSummary = { ...base, outcome: "canceled", pr: undefined, files: [], errorCategory: "canceled", error: "Stopped on request." };
const forkPatch: RunSummary = { ...base, pr: undefined, patch: "diff --git a/x b/x" };

describe("check run conclusion", () => {
  const cases: Array<[string, RunSummary, boolean, CheckConclusion]> = [
    ["changes pushed, report posted", base, true, "success"],
    ["changes pushed, report lost: the pull request says what happened", base, false, "success"],
    ["review posted", { ...base, pr: undefined, files: [], review }, true, "success"],
    ["review posted, report lost", { ...base, pr: undefined, files: [], review }, false, "success"],
    ["a fork's patch in the report", forkPatch, true, "success"],
    ["a fork's patch whose report was lost: nothing reached anyone", forkPatch, false, "failure"],
    ["no changes", noChanges, true, "neutral"],
    ["no changes, report lost: the run should have answered and did not", noChanges, false, "failure"],
    ["a phase failed", failedAgent, true, "failure"],
    ["a phase failed, report lost", failedAgent, false, "failure"],
    ["stopped", canceled, true, "cancelled"],
    ["stopped, report lost", canceled, false, "cancelled"],
  ];
  it.each(cases)("%s → %s", (_name, summary, posted, conclusion) => {
    expect(conclusionFor(summary, posted)).toBe(conclusion);
    expect(finishedView(summary, posted, {})).toMatchObject({ status: "completed", conclusion });
  });
});

describe("check run view", () => {
  it("is in progress while a phase runs, naming it, and links to the dashboard only with PUBLIC_URL", () => {
    expect(inProgressView(12, "agent", {})).toEqual({ status: "in_progress", title: "Working on it — running Claude Code", summary: expect.stringContaining("Run 12 is running Claude Code"), details_url: undefined });
    expect(inProgressView(12, "clone", { publicUrl: "https://bot.example.com/" }).details_url).toBe("https://bot.example.com/dashboard/runs/12");
    expect(detailsUrl(3, undefined)).toBeUndefined();
  });

  it("takes the report's outcome line as its title and says what failed in the report's words", () => {
    const view = finishedView(failedAgent, true, { publicUrl: "https://bot.example.com" });
    expect(view.title).toBe("❌ Failed in agent: running Claude Code");
    expect(view.summary).toContain("**model api**: model is not available to this key");
    expect(view.summary).toContain("The model API failed.");
    expect(view.details_url).toBe("https://bot.example.com/dashboard/runs/12");
    expect(finishedView(base, true, {}).title).toBe("✅ Done — opened #5");
    expect(finishedView(noChanges, true, {}).title).toBe("⚪ Done — no changes, so no pull request");
    expect(finishedView(canceled, true, {}).title).toBe("⏹️ Canceled");
  });

  it("says when it is the only report, and keeps secrets out of the summary", () => {
    const redact = createRedactor(["sk-secret-value-123456"]);
    const view = finishedView({ ...failedAgent, error: "boom sk-secret-value-123456" }, false, {}, redact);
    expect(view.title).toBe("❌ Failed in agent: running Claude Code (the report could not be posted)");
    expect(view.summary).toContain("this check run is the run's only report");
    expect(view.summary).not.toContain("sk-secret-value-123456");
  });

  it("lists at most 20 changed files", () => {
    const files = Array.from({ length: 25 }, (_, i) => ({ path: `f${i}.txt`, added: 1, removed: 0 }));
    const summary = finishedView({ ...base, files }, true, {}).summary;
    expect(summary).toContain("Files changed (25)");
    expect(summary).toContain("`f19.txt`");
    expect(summary).not.toContain("`f20.txt`");
    expect(summary).toContain("… and 5 more");
  });
});

describe("storedCheckRun", () => {
  it("reads the check run an earlier attempt kept in the run's result, and nothing else", () => {
    expect(storedCheckRun({ checkRun: { id: 7, headSha: "abc" } })).toEqual({ id: 7, headSha: "abc" });
    expect(storedCheckRun({ outcome: "done" })).toBeNull();
    expect(storedCheckRun(null)).toBeNull();
    expect(storedCheckRun({ checkRun: { id: "7", headSha: "abc" } })).toBeNull();
  });
});
