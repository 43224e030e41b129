import { readFileSync } from "node:fs";
import { filesUnder } from "../support/files-under.ts";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import { MODEL_KEY, startWorld, type World } from "./harness.ts";
import { planReply, say, tool } from "./script-helpers.ts";

/**
 * MODEL_GATEWAY=on (issue 16, first step): the real Claude CLI in the sandbox talks to the bot's
 * /model gateway with a run token; only the gateway holds the deployment's key.
 */

const seen: string[] = [];
// A piece of the key, not the key: the command itself lands in the transcript.
const PROBE = `printf "key=%s\\nurl=%s\\n" "$ANTHROPIC_API_KEY" "$ANTHROPIC_BASE_URL"; env | grep -c "${MODEL_KEY.slice(8, 24)}" || true; echo probe-end`;

function script(req: AgentRequest): Reply {
  for (const result of req.toolResults) if (result.content.includes("probe-end")) seen.push(result.content);
  return planReply([() => [tool("Bash", { command: PROBE, description: "look at the environment" })], () => [say("Looked.")]], req);
}


describe("the model gateway", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script, env: { MODEL_GATEWAY: "on" } });
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
});
