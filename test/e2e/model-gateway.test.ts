import { readFileSync } from "node:fs";
import { filesUnder } from "../support/files-under.ts";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import { MODEL_KEY, startWorld, type World } from "./harness.ts";
import { planReply, say, tool } from "./script-helpers.ts";

/**
 * The model gateway, on by default with the local provider (no MODEL_GATEWAY set here): the real
 * Claude CLI in the sandbox talks to the bot's /model gateway with a run token; only the gateway
 * holds the deployment's key, meters the run and stops it at its cap.
 */

const seen: string[] = [];
const ADMIN_TOKEN = "admin-token-for-the-gateway-tests-0123456789";
// A piece of the key, not the key: the command itself lands in the transcript.
const PROBE = `printf "key=%s\\nurl=%s\\n" "$ANTHROPIC_API_KEY" "$ANTHROPIC_BASE_URL"; env | grep -c "${MODEL_KEY.slice(8, 24)}" || true; echo probe-end`;

let onRequest: (req: AgentRequest) => Reply = (req) => planReply([() => [tool("Bash", { command: PROBE, description: "look at the environment" })], () => [say("Looked.")]], req);
function script(req: AgentRequest): Reply {
  for (const result of req.toolResults) if (result.content.includes("probe-end")) seen.push(result.content);
  return onRequest(req);
}

/** The agent calls the gateway itself with a given token: prints the HTTP status. */
const callGateway = (token: string) =>
  `curl -s -o /dev/null -w "status=%{http_code}\\n" -X POST "$ANTHROPIC_BASE_URL/v1/messages" -H "x-api-key: ${token}" -H "content-type: application/json" -H "anthropic-version: 2023-06-01" -d '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"Bash","description":"none","input_schema":{"type":"object"}}]}'; echo call-end`;


describe("the model gateway", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("gives the sandbox a run token and the gateway's URL, never the key; the model API sees only the key", async () => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Env", body: "x", user: "alice" }, comment: { body: `${w.trigger} look at the environment`, user: "alice" } });
    await w.send(ev);
    const report = await w.waitForReport(ev.payload.issue.number);
    expect(report.body).toMatch(/^### (✅|⚪)/m);

    expect(seen).toHaveLength(1);
    const token = /key=(\S+)/.exec(seen[0]!)?.[1] ?? "";
    expect(token).toMatch(/^csbgw_[A-Za-z0-9_-]{43}$/);
    expect(seen[0]).toContain(`url=${w.bot.url.replace("localhost", "127.0.0.1")}/model`);
    expect(seen[0]).toMatch(/^0$/m); // no variable holds the key
    expect(seen[0]).not.toContain(MODEL_KEY);
    // The token is a credential: not in the bot's log (Probot's request log has the headers), nor the report.
    expect(w.bot.logs.join("\n")).not.toContain(token.slice(6));
    expect(report.body).not.toContain(token.slice(6));

    // Every request the model API got came through the gateway with the deployment's key.
    expect(w.model.agentRequests().length).toBeGreaterThan(0);
    for (const r of w.model.requests) {
      expect(r.headers["x-api-key"]).toBe(MODEL_KEY);
      expect(JSON.stringify(r.headers)).not.toContain(token);
    }
    // No file of the sandbox holds the key.
    for (const file of filesUnder(join(w.bot.dataDir, "sandboxes"))) expect(readFileSync(file, "latin1").includes(MODEL_KEY), file).toBe(false);

    // A wrong token gets 401 without any upstream call.
    const before = w.model.requests.length;
    const wrong = await fetch(`${w.bot.url}/model/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": `csbgw_${"A".repeat(43)}`, "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { type: string } }).error.type).toBe("authentication_error");
    expect(w.model.requests.length).toBe(before);
  });

  it("revokes a failed run's token at once: another run's agent presenting it gets 401, and nothing reaches the model API", async () => {
    seen.length = 0;
    // Run 1 reads its token, then the model API fails: the run fails and its token is revoked.
    let failing = true;
    onRequest = (req) =>
      failing && req.toolResults.length > 0
        ? { error: { status: 400, type: "invalid_request_error", message: "model not available to this key" } }
        : planReply([() => [tool("Bash", { command: PROBE, description: "look" })]], req);
    const first = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Fails", body: "x", user: "alice" }, comment: { body: `${w.trigger} look`, user: "alice" } });
    await w.send(first);
    expect((await w.waitForReport(first.payload.issue.number)).body).toMatch(/^### ❌ Failed in agent/m);
    const revoked = /key=(\S+)/.exec(seen[0] ?? "")?.[1] ?? "";
    expect(revoked).toMatch(/^csbgw_/);

    // Run 2's agent calls the gateway with run 1's token, then with its own.
    failing = false;
    const results: string[] = [];
    onRequest = (req) => {
      for (const r of req.toolResults) if (r.content.includes("call-end")) results.push(r.content);
      return planReply([() => [tool("Bash", { command: callGateway(revoked), description: "use the old token" })], () => [say("Tried.")]], req);
    };
    const before = w.model.requests.length;
    const second = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Other", body: "x", user: "alice" }, comment: { body: `${w.trigger} try`, user: "alice" } });
    await w.send(second);
    await w.waitForReport(second.payload.issue.number);
    expect(results.join("\n")).toContain("status=401");
    // The model API saw run 2's own Claude requests only (the 401 made no upstream call): all with the key.
    for (const r of w.model.requests.slice(before)) expect(r.headers["x-api-key"]).toBe(MODEL_KEY);
  });
});

describe("the model gateway's hard cap", () => {
  let w: World;
  beforeAll(async () => {
    // The agent goes round the CLI (and its own --max-budget-usd): it calls the gateway itself with
    // its run token, and those calls are expensive. The CLI's own requests cost little.
    const bypass = `for i in 1 2 3; do ${callGateway("$ANTHROPIC_API_KEY")}; done`;
    const script = (req: AgentRequest): Reply => {
      if (JSON.stringify(req.body).includes('"content":"hi"')) return { content: [say("hello")], usage: { input_tokens: 200_000, output_tokens: 2_000 } };
      return planReply([() => [tool("Bash", { command: bypass, description: "call the model directly" })], () => [say("Done.")]], req);
    };
    w = await startWorld({ script, env: { ADMIN_TOKEN }, files: { ".github/claude-sandbox-bot.yml": "maxCostUsd: 0.05\n" } });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("cuts a run off at the gateway once it has spent its maxCostUsd, even round the CLI, and the report says which cap", async () => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Costly", body: "x", user: "alice" }, comment: { body: `${w.trigger} spend`, user: "alice" } });
    await w.send(ev);
    const report = await w.waitForReport(ev.payload.issue.number);
    expect(report.body).toMatch(/^### ❌ Failed in agent/m);
    expect(report.body).toContain("model gateway stopped Claude");
    expect(report.body).toContain("maxCostUsd");
    expect(report.body).toMatch(/metered at the bot's model gateway/);
    // The agent's first direct call was answered (and spent the cap); its other two, and the CLI's
    // next turn, were refused at the gateway (402) without reaching the model API.
    const isDirect = (r: { body: unknown }) => JSON.stringify(r.body).includes('"content":"hi"');
    expect(w.model.requests.filter(isDirect)).toHaveLength(1);
    expect(w.model.agentRequests().filter((r) => !isDirect(r))).toHaveLength(1);
    const runs = (await (await fetch(`${w.bot.url}/api/runs?limit=5`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { runs: Array<{ errorCategory: string | null; costUsd: number }> };
    expect(runs.runs[0]?.errorCategory).toBe("budget");
    expect(runs.runs[0]?.costUsd).toBeGreaterThan(0.05);
  });
});
