import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../src/store/types.ts";
import { createTextRedactor, redactJson } from "../../src/web/redact-display.ts";
import { runSummaryView, runView } from "../../src/web/run-view.ts";

const MODEL_KEY = "sk-ant-api03-very-secret-model-key";
const PASSED_ENV = "value-of-a-passed-variable-1234";

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 5,
    threadKey: "acme/widgets#3",
    repoFullName: "acme/widgets",
    installationId: 1,
    deliveryId: "d",
    state: "succeeded",
    phase: null,
    trigger: {
      kind: "issue_comment",
      deliveryId: "d",
      installationId: 1,
      repo: { id: 1, owner: "acme", name: "widgets", fullName: "acme/widgets", htmlUrl: "https://github.com/acme/widgets", defaultBranch: "main", private: true },
      actor: { login: "alice", type: "User" },
      thread: { number: 3, isPullRequest: false, title: "Fix it", body: "", htmlUrl: "https://github.com/acme/widgets/issues/3", author: "alice" },
      source: { type: "issue_comment", commentId: 9 },
      text: `@bot use ${PASSED_ENV}`,
      mode: "code",
    },
    progressCommentId: 9,
    attempts: 1,
    cancelRequested: false,
    costUsd: 0.75,
    createdAt: "2026-01-01T00:00:00.000Z",
    startedAt: "2026-01-01T00:00:01.000Z",
    finishedAt: "2026-01-01T00:01:01.000Z",
    result: {
      outcome: "done",
      failedPhase: null,
      errorCategory: null,
      pr: { number: 4, htmlUrl: "https://github.com/acme/widgets/pull/4", created: true },
      phaseMs: { agent: 1000 },
      sandboxCostUsd: 0.25,
      claude: { type: "result", total_cost_usd: 0.5, num_turns: 3, session_id: "s-1", result: `I found ${MODEL_KEY} and ghs_abcdefghijklmnopqrstuvwxyz0123 and ${PASSED_ENV}` },
    },
    error: null,
    ...overrides,
  };
}

describe("what the dashboard and the API show of a run", () => {
  const redact = createTextRedactor([MODEL_KEY, PASSED_ENV, "short", undefined, null]);

  it("replaces known secrets and credential-shaped text", () => {
    const text = [
      `key ${MODEL_KEY}`,
      "gho_0123456789abcdefghijABCDEFGHIJ github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
      "sk-ant-oat01-abcdefghijkl e2b_0123456789abcdef0123",
      "Authorization: Bearer abcdefghijklmnopqrstuvwxyz",
      "https://x-access-token:ghs_secret@github.com/acme/widgets.git",
      "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
      "a short word stays",
    ].join("\n");
    expect(redact(text)).toBe(["key ***", "*** ***", "*** ***", "Authorization: Bearer ***", "https://x-access-token:***@github.com/acme/widgets.git", "***", "a short word stays"].join("\n"));
  });

  it("walks JSON: every string, and credential-like keys whatever their value", () => {
    expect(redactJson({ a: [MODEL_KEY, 1, null], nested: { apiKey: "plain", token: "t", input_tokens: 12, accessToken: 3, note: "ok" } }, redact)).toEqual({
      a: ["***", 1, null],
      nested: { apiKey: "***", token: "***", input_tokens: 12, accessToken: 3, note: "ok" },
    });
  });

  it("the run view parses the stored result and redacts the prompt, error and result", () => {
    const view = runView(run(), redact, Date.parse("2026-01-01T00:05:00.000Z"));
    expect(view).toMatchObject({
      id: 5,
      repo: "acme/widgets",
      thread: { number: 3, title: "Fix it", url: "https://github.com/acme/widgets/issues/3" },
      trigger: { kind: "issue_comment", actor: "alice" },
      outcome: "done",
      pr: { number: 4, url: "https://github.com/acme/widgets/pull/4" },
      durationMs: 60_000,
      claudeCostUsd: 0.5,
      turns: 3,
      sessionId: "s-1",
      prompt: "@bot use ***",
    });
    const json = JSON.stringify(view);
    expect(json).not.toContain(MODEL_KEY);
    expect(json).not.toContain(PASSED_ENV);
    expect(json).not.toContain("ghs_abcdefghij");
  });

  it("a running run's duration runs to now; an unparseable result is shown as stored (redacted) with no outcome", () => {
    const now = Date.parse("2026-01-01T00:00:31.000Z");
    const running = runView(run({ state: "running", phase: "agent", finishedAt: null, result: null }), redact, now);
    expect(running).toMatchObject({ durationMs: 30_000, outcome: null, pr: null, result: null });
    const odd = runView(run({ result: { outcome: "exploded", note: MODEL_KEY } }), redact, now);
    expect(odd).toMatchObject({ outcome: null, result: { outcome: "exploded", note: "***" } });
    expect(runSummaryView(run(), redact, now)).not.toHaveProperty("result");
  });
});
