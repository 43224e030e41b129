import { describe, expect, it } from "vitest";
import { renderReport, type RunSummary } from "../../src/runs/report/render-report.ts";
import { renderProgress } from "../../src/runs/report/render-progress.ts";
import { initialProgress, reduceProgress, type ProgressState } from "../../src/runs/report/progress-state.ts";
import { createRedactor } from "../../src/util/redact.ts";
import type { ResultEvent } from "../../src/agent/stream-events.ts";

const result: ResultEvent = {
  type: "result",
  subtype: "success",
  is_error: false,
  duration_ms: 12_345,
  num_turns: 4,
  session_id: "0b4cf4a5-52b3-4d53-a2a3-0f2ba3f7d3c1",
  total_cost_usd: 0.0421,
  usage: { input_tokens: 1200, output_tokens: 340 },
  result: "Added CONTRIBUTING.md with setup and review steps.",
};

const base: RunSummary = {
  runId: 9,
  outcome: "done",
  branch: "claude/issue-4",
  branchUrl: "https://github.com/acme/w/tree/claude/issue-4",
  pr: { number: 5, htmlUrl: "https://github.com/acme/w/pull/5", created: true },
  durationMs: 65_000,
  phaseMs: { queue: 10, sandbox: 1_500, clone: 800, agent: 60_000, publish: 2_000 },
  sandboxCostUsd: 0.003,
  result,
  session: "new",
  files: [{ path: "CONTRIBUTING.md", added: 20, removed: 0 }],
};

function jsonBlock(markdown: string): unknown {
  const match = markdown.match(/<details><summary>Claude's result \(JSON\)<\/summary>\n\n(`{3,})json\n([\s\S]*?)\n\1\n\n<\/details>/);
  if (!match) throw new Error("no JSON block");
  return JSON.parse(match[2]!);
}

describe("renderReport", () => {
  it("puts the outcome first and the result JSON in a collapsible block", () => {
    const md = renderReport(base);
    const lines = md.split("\n");
    expect(lines[0]).toBe("<!-- claude-sandbox-bot run:9 -->");
    expect(lines[1]).toBe("### ✅ Done — opened #5");
    expect(md).toContain("**Pull request:** [#5](https://github.com/acme/w/pull/5)");
    expect(md).toContain("[`claude/issue-4`](https://github.com/acme/w/tree/claude/issue-4)");
    expect(md).toContain("**Duration:** 1m 5s");
    expect(md).toContain("**Turns:** 4");
    expect(md).toContain("**Cost:** $0.05 (Claude $0.04 + sandbox $0.0030)");
    expect(md).toContain("**Tokens:** 1.2k in / 340 out");
    expect(md).toContain("<sub>Phases: queue 0s · sandbox 2s · clone 1s · agent 1m · publish 2s</sub>");
    expect(md).toContain("`0b4cf4a5-52b3-4d53-a2a3-0f2ba3f7d3c1` (new)");
    expect(md).toContain("Added CONTRIBUTING.md");
    expect(md).toContain("`CONTRIBUTING.md` (+20 −0)");
    expect(jsonBlock(md)).toEqual(result);
    expect(md).not.toMatch(/working/i);
  });

  it("says when nothing changed, and when the session was resumed", () => {
    const md = renderReport({ ...base, outcome: "no_changes", pr: undefined, files: [], session: "restored" });
    expect(md).toContain("### ⚪ Done — no changes, so no pull request");
    expect(md).toContain("(resumed from the saved transcript)");
  });

  it("names the failed phase, the error category, the reason and what to do", () => {
    const md = renderReport({ ...base, outcome: "failed", failedPhase: "clone", errorCategory: "git", error: "git clone failed: check access", pr: undefined, result: null });
    expect(md).toContain("### ❌ Failed in clone: cloning the repository");
    expect(md).toContain("> **git**: git clone failed: check access");
    expect(md).toContain("> A git step failed. Check the app's access");
  });

  it.each([
    ["timeout", "time limit"],
    ["max_turns", "used all its turns"],
    ["budget", "cost cap"],
    ["model_api", "usually temporary"],
    ["auth", "ANTHROPIC_API_KEY"],
    ["sandbox", "E2B_API_KEY"],
    ["github", "app's permissions"],
  ] as const)("gives a %s failure its one line of advice", (category, advice) => {
    const md = renderReport({ ...base, outcome: "failed", failedPhase: "agent", errorCategory: category, error: "x", pr: undefined });
    expect(md).toContain(`> **${category.replace("_", " ")}**: x`);
    expect(md).toContain(advice);
  });

  it("lists the messages taken in while working, and says which came too late", () => {
    const md = renderReport({ ...base, steering: [{ author: "bob" }, { author: "carol", commentId: 3 }, { author: "dave", missed: true }] });
    expect(md).toContain("📨 Taken in while working: @bob, @carol (");
    expect(md).toContain("📭 Arrived as Claude was finishing and was not taken in: @dave. Mention me again");
    expect(renderReport(base)).not.toMatch(/📨|📭/);
  });

  describe("the repository snapshot, on the cost and session line", () => {
    const costLine = (md: string) => md.split("\n").find((l) => l.startsWith("**Cost:**"))!;

    it("says the sandbox came from the snapshot of a commit and the setup was skipped", () => {
      const md = renderReport({ ...base, snapshot: { used: "0123abcdef4567890123abcdef4567890123abcd", setup: "skipped", taken: false } });
      expect(costLine(md)).toBe("**Cost:** $0.05 (Claude $0.04 + sandbox $0.0030) · **Session:** `0b4cf4a5-52b3-4d53-a2a3-0f2ba3f7d3c1` (new) · **Sandbox:** from the repository's snapshot of `0123abc` (setup skipped)");
      expect(md).not.toContain("snapshot taken");
    });

    it.each([
      [["package-lock.json"], "(setup re-run: `package-lock.json` changed)"],
      [["package-lock.json", "web/pnpm-lock.yaml"], "(setup re-run: `package-lock.json` and `web/pnpm-lock.yaml` changed)"],
      [["a/package-lock.json", "b/package-lock.json", "c/package-lock.json", "Cargo.lock"], "(setup re-run: `a/package-lock.json`, `b/package-lock.json` and 2 more changed)"],
      [null, "(setup re-run: what changed since could not be listed)"],
    ] as const)("says why the setup ran again: %j", (changedInputs, text) => {
      const md = renderReport({ ...base, snapshot: { used: "89abcdef0123456789abcdef0123456789abcdef", setup: "ran", changedInputs: changedInputs === null ? null : [...changedInputs], taken: false } });
      expect(costLine(md)).toContain(`**Sandbox:** from the repository's snapshot of \`89abcde\` ${text}`);
    });

    it("says the run took a snapshot for the next threads, how long it took, and that its cost is in the sandbox's", () => {
      const md = renderReport({ ...base, snapshot: { used: null, setup: "ran", taken: true, takenMs: 3_400 } });
      expect(costLine(md)).toMatch(/ · \*\*Sandbox:\*\* snapshot taken for the next threads \(3s, in the sandbox cost\)$/);
      expect(md).not.toContain("from the repository's snapshot");
      expect(renderReport({ ...base, snapshot: { used: null, setup: "ran", taken: true, takenMs: 420 } })).toContain("snapshot taken for the next threads (under 1s, in the sandbox cost)");
    });

    it("a stale snapshot refreshed: where the sandbox came from, then the new one", () => {
      const md = renderReport({ ...base, snapshot: { used: "fedcba9876543210fedcba9876543210fedcba98", setup: "ran", changedInputs: ["package-lock.json"], taken: true, takenMs: 61_000 } });
      expect(costLine(md)).toContain("**Sandbox:** from the repository's snapshot of `fedcba9` (setup re-run: `package-lock.json` changed); snapshot taken for the next threads (1m 1s, in the sandbox cost)");
    });

    it("is on the cost line even when the run failed before Claude had a session", () => {
      const md = renderReport({ ...base, outcome: "failed", failedPhase: "setup", errorCategory: "setup", error: "npm ci failed", pr: undefined, result: null, snapshot: { used: "0123abcdef4567890123abcdef4567890123abcd", setup: "ran", changedInputs: ["package-lock.json"], taken: false } });
      expect(costLine(md)).toBe("**Cost:** $0.0030 (Claude $0.00 + sandbox $0.0030) · **Sandbox:** from the repository's snapshot of `0123abc` (setup re-run: `package-lock.json` changed)");
    });

    it("keeps a hostile changed file's name inert: no mention, no way out of its code span, no new paragraph, bounded", () => {
      const hostile = "deps/x` @acme/everyone <img src=x> `\n\n# heading/" + "a".repeat(500) + "/package-lock.json";
      const md = renderReport({ ...base, snapshot: { used: "89abcdef0123456789abcdef0123456789abcdef", setup: "ran", changedInputs: [hostile], taken: false } });
      const line = costLine(md);
      expect(md).not.toMatch(/\n\s*# heading/);
      // Outside code spans, nothing of the name is left: strip every code span and look.
      const outside = line.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, "");
      expect(outside).not.toContain("@acme");
      expect(outside).not.toContain("<img");
      expect(line.length).toBeLessThan(600);
    });

    it("says nothing of a sandbox when no snapshot was involved", () => {
      expect(renderReport(base)).not.toContain("**Sandbox:**");
    });
  });

  it("reports a cancellation", () => {
    const md = renderReport({ ...base, outcome: "canceled", pr: undefined, error: "stopped by @alice" });
    expect(md).toContain("### ⏹️ Canceled");
    expect(md).toContain("> **canceled**: stopped by @alice");
  });

  it("redacts secrets everywhere, JSON included", () => {
    const redact = createRedactor(["sk-ant-secret-value"]);
    const md = renderReport({ ...base, result: { ...result, result: "the key is sk-ant-secret-value" } }, redact);
    expect(md).not.toContain("sk-ant-secret-value");
    expect(md).toContain("the key is ***");
  });

  it("stays under GitHub's comment limit and keeps Claude's final text whole", () => {
    const finalText = `START ${"x".repeat(50_000)} END`;
    const files = Array.from({ length: 2000 }, (_, i) => ({ path: `src/file-${i}.ts`, added: i, removed: 1 }));
    const md = renderReport({ ...base, files, result: { ...result, result: finalText, usage: { blob: "y".repeat(40_000) } } });
    expect(md.length).toBeLessThanOrEqual(65_536);
    expect(md).toContain(finalText);
    expect(md).toMatch(/cut: \d+ more characters/);
  });
});

describe("progress", () => {
  it("shows the phase, the current step and the todo list", () => {
    let state: ProgressState = { ...initialProgress(0), phase: "agent" };
    state = reduceProgress(state, {
      type: "assistant",
      event: { type: "assistant", message: { content: [{ type: "tool_use", id: "t1", name: "TodoWrite", input: { todos: [{ content: "Write docs", status: "in_progress" }, { content: "Run tests", status: "pending" }] } }] } },
    });
    state = reduceProgress(state, {
      type: "assistant",
      event: { type: "assistant", message: { content: [{ type: "tool_use", id: "t2", name: "Edit", input: { file_path: "/home/user/repo/src/app.ts" } }] } },
    });
    const md = renderProgress(3, state, 75_000);
    expect(md).toContain("Working on it — running Claude Code");
    expect(md).toContain("**Elapsed:** 1m 15s");
    expect(md).toContain("**Now:** Editing src/app.ts");
    expect(md).toContain("- [ ] **Write docs**");
    expect(md).toContain("- [ ] Run tests");
  });
});
