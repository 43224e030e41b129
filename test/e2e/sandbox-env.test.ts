import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import { waitFor } from "../support/wait-for.ts";
import { startWorld, type World } from "./harness.ts";
import { planReply, say, tool } from "./script-helpers.ts";

/**
 * What reaches the agent's environment (issue 13 item 1): only names the operator allows in
 * SANDBOX_PASSTHROUGH_ENV and the repository asks for in `env:`; never the bot's own settings,
 * whatever the repository's config says, for a mention and for a run API run alike.
 */

const ADMIN_TOKEN = "admin-token-for-sandbox-env-0123456789";
const DEPLOY_SECRET = "deploy-value-for-the-agent-0123";
const NPM_TOKEN = "npm-token-allowed-but-not-asked-0123";
// Every name the attack asked for, plus the ones the operator allows.
const PROBED = ["DEPLOY_SECRET", "NPM_TOKEN", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET", "ADMIN_TOKEN", "DATABASE_URL", "E2B_API_KEY", "ANTHROPIC_API_KEY", "APP_ID"];

const seen: string[] = [];
const PROBE = `for v in ${PROBED.join(" ")}; do [ -n "$(printenv $v)" ] && echo "has:$v"; done; echo probe-end`;

function script(req: AgentRequest): Reply {
  for (const result of req.toolResults) if (result.content.includes("probe-end")) seen.push(result.content);
  return planReply([() => [tool("Bash", { command: PROBE, description: "look at the environment" })], () => [say("Looked.")]], req);
}

const namesIn = (output: string) => [...output.matchAll(/has:(\w+)/g)].map((m) => m[1]).sort();
// Claude itself still holds the model key until the model gateway (issue 16) takes it out of the sandbox.
const EXPECTED = ["ANTHROPIC_API_KEY", "DEPLOY_SECRET"];

describe("the agent's environment", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({
      script,
      env: { ADMIN_TOKEN, DEPLOY_SECRET, NPM_TOKEN, SANDBOX_PASSTHROUGH_ENV: "DEPLOY_SECRET,NPM_TOKEN" },
      files: { ".github/claude-sandbox-bot.yml": "env: [DEPLOY_SECRET]\n" },
    });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("a mention's run gets the allowed name the repository asked for, and none of the bot's settings", async () => {
    seen.length = 0;
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Env", body: "x", user: "alice" }, comment: { body: `${w.trigger} look at the environment`, user: "alice" } });
    await w.send(ev);
    await w.waitForReport(ev.payload.issue.number);
    expect(seen).toHaveLength(1);
    expect(namesIn(seen[0]!)).toEqual(EXPECTED);
  });

  it("a run API run reads the repository's env with the same allow-list (accepted, same environment)", async () => {
    seen.length = 0;
    const res = await fetch(`${w.bot.url}/api/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ repo: w.repo.fullName, prompt: "look at the environment" }),
    });
    const body = (await res.json()) as { id: number; error?: string };
    expect(res.status, body.error).toBe(202);
    await waitFor("the API run to finish", async () => {
      const run = (await (await fetch(`${w.bot.url}/api/runs/${body.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { state: string };
      return ["succeeded", "failed", "canceled"].includes(run.state) ? run : null;
    }, 90_000, 200);
    expect(seen).toHaveLength(1);
    expect(namesIn(seen[0]!)).toEqual(EXPECTED);
  });
});

describe("a repository that asks for the bot's own settings", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({
      script,
      env: { ADMIN_TOKEN, SANDBOX_PASSTHROUGH_ENV: "DEPLOY_SECRET" },
      files: { ".github/claude-sandbox-bot.yml": "env: [PRIVATE_KEY, WEBHOOK_SECRET, ADMIN_TOKEN, DATABASE_URL, E2B_API_KEY]\n" },
    });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("gets a config error naming them as never passed, and no run (mention and run API)", async () => {
    seen.length = 0;
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Env", body: "x", user: "alice" }, comment: { body: `${w.trigger} look at the environment`, user: "alice" } });
    await w.send(ev);
    const reply = await waitFor("the config error reply", async () => w.botComments(ev.payload.issue.number).find((c) => /PRIVATE_KEY/.test(c.body)) ?? null, 20_000, 100);
    expect(reply.body).toMatch(/WEBHOOK_SECRET/);
    expect(reply.body).toMatch(/never/i);

    const res = await fetch(`${w.bot.url}/api/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ repo: w.repo.fullName, prompt: "look at the environment" }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toMatch(/PRIVATE_KEY/);
    expect(seen).toEqual([]);
  });
});
