import { describe, expect, it } from "vitest";
import { parseStoredResult, storedResult, type RunSummary } from "../../src/runs/outcome.ts";
import { DEFAULT_REPO_CONFIG } from "../../src/config/repo-config.ts";

/** What a run stores of the repository snapshot it used or took, and how it names the setup inputs that changed. */

const summary: RunSummary = {
  runId: 3,
  outcome: "done",
  branch: "claude/issue-1",
  branchUrl: "https://github.com/acme/w/tree/claude/issue-1",
  durationMs: 10_000,
  phaseMs: { sandbox: 100, clone: 200, setup: 5_000, agent: 4_000 },
  sandboxCostUsd: 0.0005,
  result: null,
  session: "new",
  files: [],
};

describe("the stored result's snapshot", () => {
  it("carries the commit it started from, whether the setup ran and whether (and how fast) one was taken", () => {
    const stored = storedResult({ ...summary, snapshot: { used: "0123abcdef4567890123abcdef4567890123abcd", setup: "ran", changedInputs: ["package-lock.json"], taken: true, takenMs: 1_250 } });
    expect(stored.snapshot).toEqual({ used: "0123abcdef4567890123abcdef4567890123abcd", setup: "ran", taken: true, takenMs: 1_250 });
    expect(parseStoredResult(JSON.parse(JSON.stringify(stored)))?.snapshot).toEqual(stored.snapshot);
  });

  it("is absent when the run had no snapshot to do with, and results stored before it existed still parse", () => {
    const stored = storedResult(summary);
    expect("snapshot" in stored).toBe(false);
    const older = { outcome: "done", phaseMs: { agent: 1 }, sandboxCostUsd: 0.01, claude: null };
    expect(parseStoredResult(older)).toEqual(older);
  });

  it("a malformed snapshot makes the stored result unreadable rather than half-read", () => {
    expect(parseStoredResult({ outcome: "done", snapshot: { used: 42, taken: "yes", setup: "maybe" } })).toBeNull();
  });
});
