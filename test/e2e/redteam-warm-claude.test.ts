import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest } from "../support/fake-anthropic/types.ts";
import { waitFor } from "../support/wait-for.ts";
import { say, tool } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * Red team (issue 19): a warm Claude (on by default) kept between a thread's runs, against what a
 * repository member can change between them. warm-claude.test.ts covers the happy path and the
 * fallback when the process is gone; this covers what must make the kept process unfit.
 *
 * - The repository's MCP server changes (a maintainer points it at another URL, say because the old
 *   one is compromised, or rotates its headers): the CLI reads `--mcp-config` at start-up only, and
 *   the warm key (runs/warm-claude.ts warmKey) hashes the command line, which names the file
 *   (`~/.claude-sandbox-bot/mcp.json`), not what is in it. So the kept process serves the next run
 *   still connected to the old server, with the old headers. (Was a defect; fixed.) Removing every server, or
 *   any other config change that reaches the command line, does fall back (checked while writing
 *   this; with WARM_CLAUDE=off the same test passes). ~65 s: the bot caches the config for 60 s.
 * - `@bot reset`: the next run starts a new session, never on the kept process. (Holds.)
 */

/** A minimal MCP server over streamable HTTP with one tool; every JSON-RPC method it was asked, in order. */
async function startSpyMcp(): Promise<{ url: string; methods: string[]; close(): Promise<void> }> {
  const methods: string[] = [];
  const server: Server = createServer((req, res) => {
    if (req.method !== "POST") return void res.writeHead(405).end();
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const msg = JSON.parse(body) as { id?: number; method: string; params?: { protocolVersion?: string } };
      methods.push(msg.method);
      if (msg.id === undefined) return void res.writeHead(202).end();
      const result =
        msg.method === "initialize"
          ? { protocolVersion: msg.params?.protocolVersion ?? "2025-03-26", capabilities: { tools: {} }, serverInfo: { name: "spy", version: "1.0.0" } }
          : msg.method === "tools/list"
            ? { tools: [{ name: "exfiltrate", description: "Sends a file somewhere.", inputSchema: { type: "object", properties: {} } }] }
            : {};
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, methods, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const noteStep = (key: string) => () => [tool("Bash", { command: `echo ${key} >> STEPS.md && git add -A && git commit -qm ${key}`, description: "note the step" })];

/**
 * Each run notes its step in STEPS.md. The run after the MCP server was removed also tries the
 * server's tool: the CLI defers MCP tools behind ToolSearch, so it loads it first, then calls it.
 */
function script(req: AgentRequest) {
  // The request is the last step named in the conversation (a prompt quotes the thread's earlier comments too).
  const key = [...JSON.stringify(req.messages).matchAll(/rtstep-([a-z]+)/g)].at(-1)?.[1] ?? "?";
  // By the tool this turn answers (ToolSearch's answer is a message of its own, which would restart a planReply plan).
  const last = req.messages.at(-2) as { role: string; content: unknown } | undefined;
  const lastTool = last?.role === "assistant" && Array.isArray(last.content) ? (last.content as Array<{ type: string; name?: string }>).find((b) => b.type === "tool_use")?.name : undefined;
  const answered = req.toolResults.length > 0 || lastTool !== undefined;
  if (!answered) return { content: key === "two" ? [tool("ToolSearch", { query: "select:mcp__spy__exfiltrate", max_results: 5 })] : noteStep(key)() };
  if (lastTool === "ToolSearch") return { content: [tool("mcp__spy__exfiltrate", {})] };
  if (lastTool === "mcp__spy__exfiltrate") return { content: noteStep(key)() };
  return { content: [say(`Noted ${key}.`)] };
}

describe("red team: a kept Claude process is not used for a run it does not fit", () => {
  let w: World;
  let spy: Awaited<ReturnType<typeof startSpyMcp>>;
  let replacement: Awaited<ReturnType<typeof startSpyMcp>>;
  // Nothing but the MCP server's URL differs between the two (the command line stays the same).
  const configWith = (server: { url: string }) => `mcpServers:\n  spy:\n    type: http\n    url: ${server.url}\n`;
  const ask = async (issue: number | { title: string }, text: string, nth: number) => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: typeof issue === "number" ? issue : { ...issue, body: "", user: "alice" }, comment: { body: `${w.trigger} ${text}`, user: "alice" } });
    await w.send(ev);
    return { issue: ev.payload.issue.number, report: (await w.waitForReport(ev.payload.issue.number, nth, 60_000)).body };
  };

  beforeAll(async () => {
    [spy, replacement] = await Promise.all([startSpyMcp(), startSpyMcp()]);
    w = await startWorld({ script, env: { WARM_CLAUDE: "on" }, files: { ".github/claude-sandbox-bot.yml": configWith(spy) } });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
    await Promise.all([spy?.close(), replacement?.close()]);
  });

  // Was a defect: the warm key named the MCP config's path, not its content, so a changed
  // `mcpServers` entry left the kept process, still connected to the old server, serving the run.
  // The content is in the key now (agent-phase.ts → warmKey's startFiles).
  it(
    "after the repository moves its MCP server to another URL, the thread's next run talks to the new one, not the old one (a new CLI, not the kept one)",
    async () => {
      const sent = Date.now();
      const first = await ask({ title: "Use the tools" }, "rtstep-one", 1);
      expect(first.report).toMatch(/^### ✅/m);
      // The server was connected, and it was asked for its tools: the attack is not vacuous.
      expect(spy.methods).toContain("tools/list");
      expect(spy.methods).not.toContain("tools/call");
      await w.gh.git.commit(w.repo.fullName, { branch: "main", files: { ".github/claude-sandbox-bot.yml": configWith(replacement) }, message: "Move the MCP server" });
      // The bot caches a repository's config for 60 s (create-dependencies.ts CONFIG_CACHE_MS): wait it out.
      await new Promise((r) => setTimeout(r, Math.max(0, sent + 61_000 - Date.now())));
      const second = await ask(first.issue, "rtstep-two", 2);
      expect(second.report).toMatch(/^### ✅/m);
      expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${first.issue}`, "STEPS.md")).toBe("one\ntwo\n");
      // The repository moved the server: this run's call goes to the new one, nothing of it to the old one.
      expect(spy.methods).not.toContain("tools/call");
      expect(replacement.methods).toContain("tools/call");
    },
    120_000,
  );

  it("`@bot reset` between runs: the next run starts a new session, never on the kept process", async () => {
    const first = await ask({ title: "Reset me" }, "rtstep-three", 1);
    expect(first.report).toMatch(/^### ✅/m);
    const warmRuns = () => w.bot.logRecords().filter((r) => r.msg === "the thread's Claude is still running: the prompt goes to it").length;
    const before = warmRuns();
    const reset = w.hooks.issueCommentCreated({ repo: w.repo, issue: first.issue, comment: { body: `${w.trigger} reset`, user: "alice" } });
    await w.send(reset);
    await waitFor("the reset's reply", () => w.botComments(first.issue).find((c) => c.body.includes("starts a new Claude session")), 20_000, 50);
    const second = await ask(first.issue, "rtstep-four", 3);
    expect(second.report).toMatch(/^### ✅/m);
    expect(second.report).not.toMatch(/resumed (warm|from the saved transcript|in the live sandbox)/);
    expect(warmRuns()).toBe(before);
    // The run did see the thread's branch with the first run's commit (reset keeps the branch).
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${first.issue}`, "STEPS.md")).toContain("three\nfour");
  }, 120_000);
});
