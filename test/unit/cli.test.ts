import { describe, expect, it } from "vitest";
import { parseCommand, UsageError } from "../../src/cli/args.ts";
import type { RemoteRun } from "../../src/cli/client.ts";
import { exitCodeFor, progressLine, runsTable, summaryLines } from "../../src/cli/progress.ts";
import { runCli } from "../../src/cli/run-cli.ts";
import { freePort } from "../support/start-bot.ts";

const ENV = { CLAUDE_SANDBOX_BOT_URL: "http://bot.example:3000/", CLAUDE_SANDBOX_BOT_TOKEN: "admin-token-0123456789" };
const connection = { url: "http://bot.example:3000", token: "admin-token-0123456789" };

function remote(overrides: Partial<RemoteRun> = {}): RemoteRun {
  return {
    id: 7,
    repo: "acme/widgets",
    threadKey: "acme/widgets@api-1",
    thread: { number: null, title: "t", url: "https://github.com/acme/widgets" },
    trigger: { kind: "api", actor: "api" },
    state: "succeeded",
    phase: null,
    createdAt: "2026-01-02T03:04:05.000Z",
    startedAt: "2026-01-02T03:04:06.000Z",
    finishedAt: "2026-01-02T03:05:36.000Z",
    durationMs: 90_000,
    costUsd: 0.1234,
    turns: 4,
    sessionId: "s-1",
    outcome: "done",
    failedPhase: null,
    pr: { number: 3, url: "https://github.com/acme/widgets/pull/3" },
    error: null,
    ...overrides,
  };
}

describe("CLI arguments", () => {
  it("run, resume and runs, with the connection from the environment (flags win)", () => {
    expect(parseCommand(["run", "--repo", "acme/widgets", "--issue", "12", "--branch", "fix/x", "fix", "the bug"], ENV)).toEqual({
      kind: "run",
      connection,
      repo: "acme/widgets",
      prompt: "fix the bug",
      issue: 12,
      branch: "fix/x",
      wait: true,
      intervalMs: 1000,
    });
    expect(parseCommand(["resume", "7", "--no-wait", "--interval", "250", "and more"], ENV)).toEqual({ kind: "resume", connection, runId: 7, prompt: "and more", wait: false, intervalMs: 250 });
    expect(parseCommand(["runs", "--state", "failed", "--limit", "5", "--url", "https://other.example", "--token", "t0k3n-from-flag"], ENV)).toEqual({
      kind: "runs",
      connection: { url: "https://other.example", token: "t0k3n-from-flag" },
      state: "failed",
      limit: 5,
    });
    expect(parseCommand([], ENV)).toEqual({ kind: "help" });
    expect(parseCommand(["run", "--help"], {})).toEqual({ kind: "help" });
  });

  it.each([
    [["run", "do it"], /run needs --repo owner\/name/],
    [["run", "--repo", "widgets", "do it"], /--repo must be owner\/name/],
    [["run", "--repo", "acme/widgets"], /run needs a prompt/],
    [["run", "--repo", "acme/widgets", "--issue", "x", "p"], /--issue must be a positive whole number, not "x"/],
    [["resume", "abc", "p"], /The run id must be a positive whole number/],
    [["resume"], /resume needs a run id/],
    [["runs", "extra"], /runs takes no arguments/],
    [["runs", "--state", "sleeping"], /--state must be one of/],
    [["frobnicate"], /Unknown command "frobnicate"/],
    [["runs", "--bogus"], /Unknown option '--bogus'/],
  ])("%j is a usage error", (argv, message) => {
    expect(() => parseCommand(argv, ENV)).toThrow(UsageError);
    expect(() => parseCommand(argv, ENV)).toThrow(message);
  });

  it("says which setting is missing", () => {
    expect(() => parseCommand(["runs"], {})).toThrow(/Set CLAUDE_SANDBOX_BOT_URL .* or pass --url/);
    expect(() => parseCommand(["runs"], { CLAUDE_SANDBOX_BOT_URL: "http://x" })).toThrow(/Set CLAUDE_SANDBOX_BOT_TOKEN to the bot's ADMIN_TOKEN/);
    expect(() => parseCommand(["runs"], { ...ENV, CLAUDE_SANDBOX_BOT_URL: "bot.example" })).toThrow(/must be an http\(s\) URL/);
  });
});

describe("CLI progress and summary", () => {
  it("prints a line when the state or phase changes, not when it stays, not for the final state", () => {
    expect(progressLine(null, { state: "queued", phase: null }, 0)).toBe("[    0s] queued");
    expect(progressLine({ state: "queued", phase: null }, { state: "running", phase: "agent" }, 75_000)).toBe("[1m 15s] running · agent (running Claude Code)");
    expect(progressLine({ state: "running", phase: "agent" }, { state: "running", phase: "agent" }, 80_000)).toBeNull();
    expect(progressLine({ state: "running", phase: "agent" }, { state: "succeeded", phase: null }, 80_000)).toBeNull();
  });

  it("summaries per outcome, and exit codes 0 / 1 / 130", () => {
    expect(summaryLines(remote())).toEqual([
      "✅ Run 7 done — pull request #3: https://github.com/acme/widgets/pull/3",
      "   duration 1m 30s · cost $0.12 · turns 4 · session s-1",
      '   continue the conversation: claude-sandbox-bot resume 7 "…"',
    ]);
    expect(summaryLines(remote({ outcome: "no_changes", pr: null }))[0]).toBe("⚪ Run 7 done — no changes, so no pull request.");
    expect(summaryLines(remote({ state: "failed", outcome: "failed", failedPhase: "clone", error: "git clone failed" }))[0]).toBe("❌ Run 7 failed in clone: git clone failed");
    expect(summaryLines(remote({ state: "canceled", outcome: "canceled", costUsd: 0.004, turns: null, sessionId: null }))).toEqual(["⏹️ Run 7 was canceled.", "   duration 1m 30s · cost $0.0040"]);
    expect([exitCodeFor({ state: "succeeded" }), exitCodeFor({ state: "failed" }), exitCodeFor({ state: "canceled" })]).toEqual([0, 1, 130]);
  });

  it("lists runs as an aligned table", () => {
    const lines = runsTable([remote(), remote({ id: 12, state: "running", phase: "agent", outcome: null, durationMs: 5_000, thread: { number: 4, title: "x", url: "" }, trigger: { kind: "issue_comment", actor: "alice" } })]);
    expect(lines).toEqual([
      "RUN  STATE          REPOSITORY    THREAD  TRIGGER        WHO    CREATED              DURATION  COST",
      "7    succeeded      acme/widgets  api     api            api    2026-01-02 03:04:05  1m 30s    $0.12",
      "12   running/agent  acme/widgets  #4      issue_comment  alice  2026-01-02 03:04:05  5s        $0.12",
    ]);
    expect(runsTable([])).toEqual(["No runs."]);
  });
});

describe("CLI against a scripted API", () => {
  function fakeApi(states: Array<Partial<RemoteRun>>) {
    const requests: Array<{ method: string; url: string; body: unknown; auth: string | null }> = [];
    let polls = 0;
    const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input);
      const headers = new Headers(init?.headers);
      requests.push({ method: init?.method ?? "GET", url, body: init?.body ? JSON.parse(String(init.body)) : undefined, auth: headers.get("authorization") });
      const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
      if (init?.method === "POST") return json(202, { id: 7, state: "queued", url: `${connection.url}/api/runs/7`, dashboardUrl: `${connection.url}/dashboard/runs/7` });
      if (url.endsWith("/api/runs/7")) return json(200, remote(states[Math.min(polls++, states.length - 1)]));
      return json(401, { error: "The bearer token is not this bot's ADMIN_TOKEN." });
    }) as typeof fetch;
    return { requests, fetchImpl };
  }

  async function cli(argv: string[], api: ReturnType<typeof fakeApi>) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, ENV, { out: (l) => out.push(l), err: (l) => err.push(l), fetch: api.fetchImpl, sleep: async () => {}, now: () => 0 });
    return { code, out, err };
  }

  it("run: posts the request, follows the phases, prints the summary, exits with the outcome", async () => {
    const api = fakeApi([
      { state: "queued", phase: null, outcome: null },
      { state: "running", phase: "sandbox", outcome: null },
      { state: "running", phase: "sandbox", outcome: null },
      { state: "running", phase: "agent", outcome: null },
      { state: "failed", phase: null, outcome: "failed", failedPhase: "agent", error: "the model API failed" },
    ]);
    const { code, out, err } = await cli(["run", "--repo", "acme/widgets", "--issue", "3", "fix", "it"], api);
    expect(err).toEqual([]);
    expect(code).toBe(1);
    expect(api.requests[0]).toEqual({ method: "POST", url: "http://bot.example:3000/api/runs", body: { repo: "acme/widgets", prompt: "fix it", issue: 3 }, auth: "Bearer admin-token-0123456789" });
    expect(out).toEqual([
      "Run 7 queued — http://bot.example:3000/dashboard/runs/7",
      "[    0s] queued",
      "[    0s] running · sandbox (starting the sandbox)",
      "[    0s] running · agent (running Claude Code)",
      "❌ Run 7 failed in agent: the model API failed",
      "   duration 1m 30s · cost $0.12 · turns 4 · session s-1",
      '   continue the conversation: claude-sandbox-bot resume 7 "…"',
    ]);
  });

  it("resume posts a message; --no-wait returns at once; API errors exit 3 with the bot's message", async () => {
    const api = fakeApi([{ state: "canceled", outcome: "canceled" }]);
    expect((await cli(["resume", "5", "more"], api)).code).toBe(130);
    expect(api.requests[0]).toMatchObject({ method: "POST", url: "http://bot.example:3000/api/runs/5/messages", body: { prompt: "more" } });
    const detached = await cli(["run", "--repo", "acme/widgets", "--no-wait", "x"], fakeApi([]));
    expect(detached).toEqual({ code: 0, out: ["Run 7 queued — http://bot.example:3000/dashboard/runs/7"], err: [] });
    const refused = await cli(["runs"], fakeApi([]));
    expect(refused.code).toBe(3);
    expect(refused.err[0]).toMatch(/^The bearer token is not this bot's ADMIN_TOKEN\. Check CLAUDE_SANDBOX_BOT_TOKEN/);
    const usage = await cli(["run"], fakeApi([]));
    expect(usage.code).toBe(2);
  });

  it("an unreachable bot is explained", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const url = `http://127.0.0.1:${await freePort()}`;
    const code = await runCli(["runs"], { ...ENV, CLAUDE_SANDBOX_BOT_URL: url }, { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(3);
    expect(err[0]).toBe(`Could not reach the bot at ${url} (ECONNREFUSED). Is it running? Check CLAUDE_SANDBOX_BOT_URL or --url.`);
  });
});
