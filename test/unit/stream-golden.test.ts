import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseStreamLine, type ResultEvent, type StreamEvent } from "../../src/agent/stream-events.ts";
import { initialProgress, reduceProgress, type ProgressState } from "../../src/runs/report/progress-state.ts";
import { renderProgress } from "../../src/runs/report/render-progress.ts";
import { renderReport, type RunSummary } from "../../src/runs/report/render-report.ts";
import { describeAgentFailure } from "../../src/runs/agent-failure.ts";
import { createRedactor } from "../../src/util/redact.ts";

/**
 * Golden files: transcripts recorded from the real CLI (test/fixtures/stream-json) in, the
 * progress comment and the report out. UPDATE_GOLDEN=1 rewrites the .md files after a deliberate
 * change; review the diff before committing it.
 */

const root = resolve(import.meta.dirname, "../fixtures");
const FIXTURES = ["success-with-todos", "success-with-tasks", "error-max-turns", "api-error", "auth-error", "huge-final-text", "resumed"] as const;

function load(name: string): StreamEvent[] {
  return readFileSync(resolve(root, "stream-json", `${name}.jsonl`), "utf8")
    .split("\n")
    .map(parseStreamLine)
    .filter((e): e is StreamEvent => e !== null);
}

function golden(name: string, actual: string): void {
  const file = resolve(root, "golden", `${name}.md`);
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) writeFileSync(file, actual);
  expect(actual, `${name}.md differs: if the change is intended, run UPDATE_GOLDEN=1 npx vitest run test/unit/stream-golden.test.ts`).toBe(readFileSync(file, "utf8"));
}

function run(name: string) {
  const events = load(name);
  let progress: ProgressState = { ...initialProgress(0), phase: "agent" };
  for (const e of events) progress = reduceProgress(progress, e);
  const result = events.flatMap((e) => (e.type === "result" ? [e.event] : []))[0] ?? null;
  return { events, progress, result };
}

function summary(name: string, result: ResultEvent | null): RunSummary {
  const failure = describeAgentFailure({ exitCode: result?.is_error ? 1 : 0, result, stderrTail: "", unparsed: [], timedOut: false });
  return {
    runId: 42,
    outcome: failure ? "failed" : "done",
    failedPhase: failure ? "agent" : undefined,
    errorCategory: failure?.category,
    error: failure?.message,
    branch: "claude/issue-7",
    branchUrl: "https://github.com/acme/widgets/tree/claude/issue-7",
    pr: failure ? undefined : { number: 8, htmlUrl: "https://github.com/acme/widgets/pull/8", created: name !== "resumed" },
    durationMs: 83_000,
    phaseMs: { queue: 40, sandbox: 2_100, clone: 900, agent: 78_000, publish: 1_900 },
    sandboxCostUsd: 0.0038,
    result,
    session: name === "resumed" ? "restored" : "new",
    files: failure ? [] : [{ path: "a.txt", added: 1, removed: 0 }],
  };
}

describe("stream-json from the real CLI", () => {
  it.each(FIXTURES)("%s: every line parses and there is exactly one result", (name) => {
    const { events, result } = run(name);
    expect(events.filter((e) => e.type === "unparsed")).toEqual([]);
    expect(events.filter((e) => e.type === "result")).toHaveLength(1);
    expect(result?.session_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ["success-with-todos", null],
    ["success-with-tasks", null],
    ["resumed", null],
    ["huge-final-text", null],
    ["error-max-turns", "max_turns"],
    ["api-error", "model_api"],
    ["auth-error", "auth"],
  ] as const)("%s is categorised as %s", (name, category) => {
    const { result } = run(name);
    const failure = describeAgentFailure({ exitCode: result?.is_error ? 1 : 0, result, stderrTail: "", unparsed: [], timedOut: false });
    expect(failure?.category ?? null).toBe(category);
  });

  it("follows the todo list of both todo tools", () => {
    expect(run("success-with-todos").progress.todos.map((t) => [t.content, t.status])).toEqual([
      ["Create a.txt", "completed"],
      ["Write notes.md", "completed"],
      ["Polish notes.md", "completed"],
    ]);
    expect(run("success-with-tasks").progress.todos.map((t) => [t.id, t.content, t.status])).toEqual([
      ["1", "Create a.txt", "completed"],
      ["2", "Write b.txt", "completed"],
    ]);
  });
});

describe("golden progress comments and reports", () => {
  const redact = createRedactor(["sk-ant-fixture-secret-0000"]);
  it.each(FIXTURES)("%s", (name) => {
    const { progress, result } = run(name);
    golden(`${name}.progress`, renderProgress(42, progress, 61_000));
    const report = renderReport(summary(name, result), redact);
    expect(report.length).toBeLessThanOrEqual(65_536);
    golden(`${name}.report`, report);
  });

  it("cuts everything else before Claude's final text, and the text itself only past GitHub's limit", () => {
    const { result } = run("huge-final-text");
    const text = result!.result!;
    expect(text.length).toBeGreaterThan(65_536);
    const report = renderReport(summary("huge-final-text", result));
    expect(report.length).toBeLessThanOrEqual(65_536);
    // The JSON went first (nothing of it is left), then the text was cut as late as it could be.
    expect(report).not.toContain("Claude's result (JSON)");
    expect(report).toContain(text.slice(0, 60_000));
    expect(report).toMatch(/Claude's final text cut: \d+ more characters/);
  });
});
