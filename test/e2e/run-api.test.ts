import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import { PROJECT_ROOT } from "../support/start-bot.ts";
import { waitFor } from "../support/wait-for.ts";
import { planReply, say, tool } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * The run API through the bot's real HTTP server (the bot as `npm start` runs it): start a run
 * without an issue (a PR from Claude's change) or on an issue (the report posted there), continue
 * its conversation, validation and auth errors; /readyz and /metrics; and the CLI, spawned as a
 * process against the same server.
 */

const ADMIN_TOKEN = "admin-token-for-the-e2e-tests-0123456789";

const CHANGELOG = [
  () => [say("Adding a changelog."), tool("Bash", { command: "printf '# Changelog\\n\\n- first entry\\n' > CHANGELOG.md", description: "Write the changelog" })],
  () => [say("Added CHANGELOG.md with a first entry.")],
];
const SECOND_ENTRY = [
  () => [tool("Bash", { command: "printf -- '- second entry\\n' >> CHANGELOG.md", description: "Append an entry" })],
  () => [say("Appended a second entry to CHANGELOG.md.")],
];
const NOTHING = [() => [say("Nothing needs changing here.")]];

interface ApiAnswer {
  status: number;
  body: any;
}

function api(w: World, method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<ApiAnswer> {
  return fetch(`${w.bot.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  }).then(async (res) => ({ status: res.status, body: await res.json().catch(() => null) }));
}

async function waitFinished(w: World, id: number, timeoutMs = 90_000): Promise<any> {
  return waitFor(
    `run ${id} to finish`,
    async () => {
      const { body } = await api(w, "GET", `/api/runs/${id}`);
      return ["succeeded", "failed", "canceled"].includes(body?.state) ? body : null;
    },
    timeoutMs,
    200,
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n--- bot log (last 40 lines) ---\n${w.bot.logs.slice(-40).join("\n")}`);
  });
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(w: World, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, "src/cli/main.ts"), ...args], {
      env: { PATH: process.env.PATH ?? "", CLAUDE_SANDBOX_BOT_URL: w.bot.url, CLAUDE_SANDBOX_BOT_TOKEN: ADMIN_TOKEN, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("run API and CLI, through the bot's HTTP server", () => {
  let w: World;
  let script: (req: AgentRequest) => Reply | Promise<Reply> = (req) => {
    const prompt = req.lastUserText;
    if (prompt.includes("second entry")) return planReply(SECOND_ENTRY, req);
    if (prompt.includes("changelog")) return planReply(CHANGELOG, req);
    return planReply(NOTHING, req);
  };
  const defaultScript = script;
  beforeAll(async () => {
    w = await startWorld({ script: (req) => script(req), env: { ADMIN_TOKEN } });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("refuses requests without the admin token, and explains", async () => {
    const missing = await api(w, "GET", "/api/runs", undefined, null);
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatch(/Authorization: Bearer/);
    const wrong = await api(w, "POST", "/api/runs", { repo: w.repo.fullName, prompt: "x" }, "not-the-admin-token-at-all");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatch(/not this bot's ADMIN_TOKEN/);
    // Probot's webhook path is not the run API's.
    const hook = await fetch(`${w.bot.url}/api/github/webhooks`, { method: "POST", body: "{}" });
    expect(hook.status).not.toBe(401);
  });

  it("answers invalid requests with 4xx JSON errors naming the problem", async () => {
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ["POST", "/api/runs", { prompt: "do it" }, 400, /^repo: /],
      ["POST", "/api/runs", { repo: "not a repo", prompt: "do it" }, 400, /repo must be owner\/name/],
      ["POST", "/api/runs", { repo: w.repo.fullName, prompt: "   " }, 400, /prompt must not be empty/],
      ["POST", "/api/runs", { repo: w.repo.fullName, prompt: "x", issue: "7" }, 400, /^issue: /],
      ["POST", "/api/runs", { repo: w.repo.fullName, prompt: "x", branch: "../escape" }, 400, /branch is not a valid branch name/],
      ["POST", "/api/runs", "{not json", 400, /not valid JSON/],
      ["POST", "/api/runs", { repo: "acme/missing", prompt: "x" }, 404, /not installed on acme\/missing/],
      ["GET", "/api/runs?state=sleeping", undefined, 400, /^state: state must be one of/],
      ["GET", "/api/runs?limit=0", undefined, 400, /^limit: limit must be at least 1/],
      ["GET", "/api/runs/abc", undefined, 400, /"abc" is not a run id/],
      ["GET", "/api/runs/999999", undefined, 404, /Run 999999 does not exist/],
      ["POST", "/api/runs/999999/messages", { prompt: "more" }, 404, /Run 999999 does not exist/],
      ["POST", "/api/runs/1/messages", {}, 400, /^prompt: /],
      ["DELETE", "/api/runs", undefined, 405, /use GET or POST/],
      ["GET", "/api/nothing-here", undefined, 404, /no endpoint/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const answer = await api(w, method, path, body);
      expect({ method, path, status: answer.status }).toEqual({ method, path, status });
      expect(answer.body?.error, `${method} ${path}`).toMatch(message);
    }
  });

  let firstRun = 0;
  it("starts a run without an issue: Claude's change becomes a pull request, and GET shows the result", async () => {
    const started = await api(w, "POST", "/api/runs", { repo: w.repo.fullName, prompt: "Please add a changelog file" });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ id: expect.any(Number), state: "queued", url: `${w.bot.url}/api/runs/${started.body.id}` });
    firstRun = started.body.id;

    const run = await waitFinished(w, firstRun);
    expect(run).toMatchObject({ id: firstRun, repo: w.repo.fullName, state: "succeeded", outcome: "done", phase: null, trigger: { kind: "api", actor: "api" } });
    expect(run.startedAt).toEqual(expect.any(String));
    expect(run.finishedAt).toEqual(expect.any(String));
    expect(run.createdAt).toEqual(expect.any(String));
    expect(run.result).toMatchObject({ outcome: "done", claude: { type: "result", subtype: "success", session_id: expect.any(String) } });
    expect(JSON.stringify(run)).not.toContain("sk-ant-api03");

    const pr = w.gh.state.pulls.find((p) => p.repo === w.repo.fullName);
    expect(pr).toBeDefined();
    expect(run.pr).toEqual({ number: pr!.number, url: expect.stringMatching(new RegExp(`/${w.repo.fullName}/pull/${pr!.number}$`)) });
    expect(pr!.head).toMatch(/^claude\/api-[0-9a-f]{8}$/);
    expect(await w.gh.git.readFile(w.repo.fullName, pr!.head, "CHANGELOG.md")).toBe("# Changelog\n\n- first entry\n");
    // No issue: nothing was posted anywhere.
    expect(w.gh.state.comments.filter((c) => c.user.login === w.gh.botUser.login)).toEqual([]);

    const listed = await api(w, "GET", `/api/runs?repo=${w.repo.fullName}&state=succeeded&limit=5`);
    expect(listed.status).toBe(200);
    expect(listed.body.runs.map((r: { id: number }) => r.id)).toContain(firstRun);
    expect(listed.body.runs[0]).not.toHaveProperty("result");
  });

  it("continues the same session with POST /api/runs/:id/messages", async () => {
    const first = (await api(w, "GET", `/api/runs/${firstRun}`)).body;
    const before = w.model.agentRequests().length;
    const next = await api(w, "POST", `/api/runs/${firstRun}/messages`, { prompt: "Now add a second entry" });
    expect(next.status).toBe(202);
    expect(next.body.id).not.toBe(firstRun);
    expect(next.body.threadKey).toBe(first.threadKey);

    const run = await waitFinished(w, next.body.id);
    expect(run).toMatchObject({ state: "succeeded", outcome: "done", threadKey: first.threadKey, sessionId: first.sessionId });
    // The model saw the first conversation: the follow-up's first request carries the first prompt.
    const firstOfFollowUp = JSON.stringify(w.model.agentRequests()[before]!.body.messages);
    expect(firstOfFollowUp).toContain("Please add a changelog file");
    expect(firstOfFollowUp).toContain("Now add a second entry");
    expect(run.pr.number).toBe(first.pr.number);
    expect(await w.gh.git.readFile(w.repo.fullName, w.gh.state.pulls[0]!.head, "CHANGELOG.md")).toBe("# Changelog\n\n- first entry\n- second entry\n");
  });

  it("runs on an issue: the progress comment and the report are posted on the issue", async () => {
    const issue = w.gh.addIssue(w.repo.fullName, { title: "Check the docs", body: "Are they fine?", user: "alice" });
    const started = await api(w, "POST", "/api/runs", { repo: w.repo.fullName, prompt: "Check whether anything needs changing", issue: issue.number });
    expect(started.status).toBe(202);
    expect(started.body.threadKey).toBe(`${w.repo.fullName}#${issue.number}`);
    const report = await w.waitForReport(issue.number);
    expect(report.body).toMatch(/^### ⚪ Done — no changes, so no pull request$/m);
    const run = await waitFinished(w, started.body.id);
    expect(run).toMatchObject({ state: "succeeded", outcome: "no_changes", thread: { number: issue.number, title: "Check the docs" } });
  });

  it("answers /readyz and /metrics", async () => {
    const ready = await fetch(`${w.bot.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", checks: { database: { ok: true }, queue: { ok: true }, process: { ok: true } } });
    const metrics = await fetch(`${w.bot.url}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^claude_sandbox_bot_runs_total\{outcome="done",trigger="api"\} 2$/m);
    expect(text).toMatch(/^claude_sandbox_bot_runs_total\{outcome="no_changes",trigger="api"\} 1$/m);
    expect(text).toMatch(/^claude_sandbox_bot_phase_duration_seconds_count\{phase="agent"\} 3$/m);
    expect(text).toMatch(/^claude_sandbox_bot_queue_depth 0$/m);
    expect(text).toMatch(/^claude_sandbox_bot_sandboxes\{state="paused"\} \d+$/m);
    expect(text).toMatch(/^claude_sandbox_bot_cost_usd_total\{kind="claude"\} \d/m);
    expect(text).toMatch(/^claude_sandbox_bot_github_api_requests_total\{method="POST",status="201"\} \d+$/m);
    expect(text).toMatch(/^claude_sandbox_bot_github_rate_limit_remaining\{resource="core"\} \d+$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    // The bot never logged the admin token (the run API saw it on every request above).
    expect(w.bot.logs.join("\n")).not.toContain(ADMIN_TOKEN);
  });

  it("CLI: run waits, shows the phases and a summary, exits 0; runs lists; resume continues", async () => {
    const run = await cli(w, ["run", "--repo", w.repo.fullName, "--interval", "200", "Add a changelog please"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Run (\d+) queued — http:\/\/127\.0\.0\.1:\d+\/dashboard\/runs\/\1$/m);
    expect(run.stdout).toMatch(/running · agent \(running Claude Code\)/);
    expect(run.stdout).toMatch(/^✅ Run \d+ done — pull request #\d+: http/m);
    expect(run.stdout).toMatch(/duration \d+s · cost \$\d/);
    const id = Number(/^Run (\d+) queued/m.exec(run.stdout)![1]);

    const list = await cli(w, ["runs", "--repo", w.repo.fullName, "--limit", "3"]);
    expect(list.code).toBe(0);
    expect(list.stdout.split("\n")[0]).toMatch(/^RUN\s+STATE\s+REPOSITORY/);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+succeeded\\s+${w.repo.fullName}\\s+api\\s+api`, "m"));

    const resumed = await cli(w, ["resume", String(id), "--interval", "200", "Add a second entry"]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^✅ Run \d+ done — pull request #\d+/m);
  });

  it("CLI: a failed run exits 1, a canceled one 130; usage and auth errors are explained", async () => {
    script = () => ({ error: { status: 400, type: "invalid_request_error", message: "model claude-e2e-test is not available to this key" } });
    const failed = await cli(w, ["run", "--repo", w.repo.fullName, "--interval", "200", "This will fail"]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^❌ Run \d+ failed in agent: .*not available to this key/m);

    // A slow model, so the run is still going when it is canceled through the API.
    let seen = 0;
    script = async (req) => {
      seen += 1;
      await new Promise((r) => setTimeout(r, 1500));
      return planReply([() => [tool("Bash", { command: "sleep 1", description: "wait" })], () => [tool("Bash", { command: "sleep 1", description: "wait" })], () => [say("ok")]], req);
    };
    const waiting = cli(w, ["run", "--repo", w.repo.fullName, "--interval", "200", "Take your time"]);
    const id = await waitFor("the CLI's run to reach the agent", async () => {
      const { body } = await api(w, "GET", `/api/runs?state=running&limit=1`);
      const run = body.runs[0];
      return run && run.phase === "agent" && seen > 0 ? (run.id as number) : null;
    }, 60_000, 100);
    expect((await api(w, "POST", `/api/runs/${id}/cancel`)).status).toBe(202);
    const canceled = await waiting;
    expect(canceled.stdout).toMatch(/^⏹️ Run \d+ was canceled\.$/m);
    expect(canceled.code).toBe(130);
    script = defaultScript;

    const usage = await cli(w, ["run", "no prompt without --repo"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/run needs --repo owner\/name/);
    const badToken = await cli(w, ["runs"], { CLAUDE_SANDBOX_BOT_TOKEN: "wrong-token-wrong-token" });
    expect(badToken.code).toBe(3);
    expect(badToken.stderr).toMatch(/not this bot's ADMIN_TOKEN.*Check CLAUDE_SANDBOX_BOT_TOKEN/);
  });
});

describe("without ADMIN_TOKEN", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ env: { METRICS_TOKEN: "metrics-token-0123456789abcdef" } });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("the run API and the dashboard answer 503 saying to set ADMIN_TOKEN; /metrics wants METRICS_TOKEN", async () => {
    const runs = await api(w, "GET", "/api/runs");
    expect(runs.status).toBe(503);
    expect(runs.body.error).toMatch(/set ADMIN_TOKEN/);
    const dashboard = await fetch(`${w.bot.url}/dashboard`);
    expect(dashboard.status).toBe(503);
    expect(await dashboard.text()).toMatch(/Set <code>ADMIN_TOKEN<\/code>/);

    expect((await fetch(`${w.bot.url}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${w.bot.url}/metrics`, { headers: { authorization: "Bearer metrics-token-0123456789abcdef" } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("claude_sandbox_bot_queue_depth 0");
    expect((await fetch(`${w.bot.url}/healthz`)).status).toBe(200);
  });
});
