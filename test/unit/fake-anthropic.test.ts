import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLAUDE_BIN,
  always,
  bash,
  classify,
  defaultSideReply,
  lastUserText,
  makeCheckout as makeCheckoutDir,
  removeDirs,
  runClaude,
  sequence,
  startFakeAnthropic,
  tempDir as tempDirRaw,
  text,
  toolResults,
  transcriptPath,
  turn,
  write,
  type FakeAnthropic,
  type RecordedRequest,
} from "../support/fake-anthropic/index.ts";

const AGENT_TOOLS = [{ name: "Bash", input_schema: { type: "object" } }];

const made: string[] = [];
const makeCheckout = () => {
  const dir = makeCheckoutDir();
  made.push(dir);
  return dir;
};
const tempDir = (prefix: string) => {
  const dir = tempDirRaw(prefix);
  made.push(dir);
  return dir;
};
afterAll(() => removeDirs(...made));

const json = async (res: Response): Promise<any> => res.json();

function parseSse(body: string): Array<{ event: string; data: any }> {
  return body
    .split("\n\n")
    .filter((chunk) => chunk.trim() !== "")
    .map((chunk) => {
      const event = /^event: (.*)$/m.exec(chunk)?.[1] ?? "";
      const data = JSON.parse(/^data: (.*)$/m.exec(chunk)?.[1] ?? "null");
      return { event, data };
    });
}

describe("fake Anthropic server (HTTP level)", () => {
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic();
  });
  afterAll(async () => {
    await fake.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(fake.url + path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it("streams a text + tool_use reply as Anthropic SSE events", async () => {
    fake.setScript(sequence(turn(text("Let me check."), bash("ls -la"))));
    const res = await post("/v1/messages?beta=true", {
      model: "claude-test",
      stream: true,
      max_tokens: 100,
      tools: AGENT_TOOLS,
      messages: [{ role: "user", content: "hello" }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const events = parseSse(await res.text());
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    for (const e of events) expect(e.data.type).toBe(e.event);
    expect(events[0]!.data.message.model).toBe("claude-test");
    expect(events[3]!.data.delta).toEqual({ type: "text_delta", text: "Let me check." });
    const toolStart = events[5]!.data.content_block;
    expect(toolStart).toMatchObject({ type: "tool_use", name: "Bash", input: {} });
    expect(toolStart.id).toMatch(/^toolu_[A-Za-z0-9]{24}$/);
    const json = events
      .filter((e) => e.data.delta?.type === "input_json_delta")
      .map((e) => e.data.delta.partial_json)
      .join("");
    expect(JSON.parse(json)).toEqual({ command: "ls -la" });
    expect(events[9]!.data.delta.stop_reason).toBe("tool_use");
    expect(events[9]!.data.usage.output_tokens).toBeGreaterThan(0);
    expect(fake.requests.at(-1)).toMatchObject({ kind: "agent", path: "/v1/messages", status: 200 });
  });

  it("answers non-streaming requests with a JSON Message and falls back to 'Done.'", async () => {
    fake.setScript(sequence());
    const res = await post("/v1/messages", { model: "m", max_tokens: 5, tools: AGENT_TOOLS, messages: [] });
    const msg = await json(res);
    expect(msg).toMatchObject({
      type: "message",
      role: "assistant",
      content: [{ type: "text", text: "Done." }],
      stop_reason: "end_turn",
    });
  });

  it("gives side requests a default answer without calling the script", async () => {
    let called = 0;
    fake.setScript(() => {
      called++;
      return text("agent");
    });
    const res = await post("/v1/messages", { model: "haiku", max_tokens: 1, messages: [{ role: "user", content: "quota" }] });
    expect((await json(res)).content).toEqual([{ type: "text", text: "OK" }]);
    expect(called).toBe(0);
    expect(fake.requests.at(-1)?.kind).toBe("side");
    const titleReq = {
      body: {
        output_config: {
          format: {
            type: "json_schema",
            schema: { type: "object", properties: { title: { type: "string" } }, required: ["title"] },
          },
        },
      },
    } as RecordedRequest;
    const reply = defaultSideReply(titleReq);
    expect("content" in reply && JSON.parse((reply.content[0] as { text: string }).text)).toEqual({ title: "Fake" });
  });

  it("handles count_tokens, unknown routes (recorded 404) and script errors", async () => {
    const count = await post("/v1/messages/count_tokens", { model: "m", messages: [{ role: "user", content: "hi" }] });
    expect((await json(count)).input_tokens).toBeGreaterThan(0);

    const missing = await fetch(fake.url + "/v1/models");
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.type).toBe("not_found_error");
    expect(fake.requests.at(-1)).toMatchObject({ method: "GET", path: "/v1/models", status: 404, kind: "side" });

    fake.setScript(() => {
      throw new Error("boom");
    });
    const broken = await post("/v1/messages", { model: "m", max_tokens: 5, tools: AGENT_TOOLS, messages: [] });
    expect(broken.status).toBe(400);
    expect((await json(broken)).error.message).toContain("boom");
    expect(fake.scriptErrors).toHaveLength(1);
  });

  it("answers error replies with the given status and survives a client that hangs up", async () => {
    fake.setScript(sequence({ error: { status: 529, type: "overloaded_error", message: "busy" } }));
    const res = await post("/v1/messages", { model: "m", max_tokens: 5, tools: AGENT_TOOLS, messages: [] });
    expect(res.status).toBe(529);
    expect(await json(res)).toEqual({ type: "error", error: { type: "overloaded_error", message: "busy" } });

    fake.setScript(always({ ...text("late"), delayMs: 2_000 }));
    const abort = new AbortController();
    const hangUp = fetch(fake.url + "/v1/messages", {
      method: "POST",
      body: JSON.stringify({ model: "m", stream: true, tools: AGENT_TOOLS, messages: [] }),
      signal: abort.signal,
    }).catch((e: unknown) => e);
    setTimeout(() => abort.abort(), 50);
    expect(await hangUp).toBeInstanceOf(Error);
    // still serving
    fake.setScript(sequence(text("still here")));
    const ok = await post("/v1/messages", { model: "m", tools: AGENT_TOOLS, messages: [] });
    expect((await json(ok)).content[0].text).toBe("still here");
  });

  it("rejects a wrong API key with 401 when apiKey is set", async () => {
    const strict = await startFakeAnthropic({ apiKey: "right" });
    try {
      const bad = await fetch(strict.url + "/v1/messages", { method: "POST", headers: { "x-api-key": "wrong" }, body: "{}" });
      expect(bad.status).toBe(401);
      expect((await json(bad)).error.type).toBe("authentication_error");
      const good = await fetch(strict.url + "/v1/messages", {
        method: "POST",
        headers: { authorization: "Bearer right" },
        body: JSON.stringify({ model: "m", messages: [] }),
      });
      expect(good.status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});

describe("request helpers", () => {
  it("classifies agent vs side requests", () => {
    expect(classify("POST", "/v1/messages?beta=true", { tools: AGENT_TOOLS })).toBe("agent");
    expect(classify("POST", "/v1/messages", { messages: [] })).toBe("side");
    expect(classify("POST", "/v1/messages", { tools: [{ name: "web_search" }] })).toBe("side");
    expect(classify("POST", "/v1/messages/count_tokens", { tools: AGENT_TOOLS })).toBe("side");
  });

  it("extracts lastUserText and toolResults", () => {
    const messages = [
      { role: "user", content: [{ type: "text", text: "<system-reminder>\nctx\n</system-reminder>" }, { type: "text", text: "do it" }] },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "out" }], is_error: true }] },
    ];
    expect(lastUserText(messages)).toBe("do it");
    expect(toolResults(messages)).toEqual([{ tool_use_id: "toolu_1", content: "out", is_error: true }]);
  });
});

describe.skipIf(!existsSync(CLAUDE_BIN))("real Claude Code CLI against the fake", () => {
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic();
  });
  afterAll(async () => {
    await fake.close();
  });

  it("runs Bash and Write for real and ends with a result line", async () => {
    const cwd = makeCheckout();
    const home = tempDir("fake-anthropic-home-");
    fake.setScript(sequence(bash("echo hi > a.txt"), write(join(cwd, "new.txt"), "hello\n"), text("All done.")));
    const r = await runClaude({ baseUrl: fake.url, cwd, home, prompt: "Make the files." });

    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(cwd, "a.txt"), "utf8")).toBe("hi\n");
    expect(readFileSync(join(cwd, "new.txt"), "utf8")).toBe("hello\n");
    expect(r.events[0]).toMatchObject({ type: "system", subtype: "init", cwd });
    expect(r.result).toMatchObject({
      type: "result",
      subtype: "success",
      is_error: false,
      result: "All done.",
      num_turns: 3,
    });
    expect(typeof r.result.session_id).toBe("string");
    expect(typeof r.result.total_cost_usd).toBe("number");
    expect(typeof r.result.duration_ms).toBe("number");
    expect(r.result.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });

    const agent = fake.agentRequests();
    expect(agent).toHaveLength(3);
    expect(agent[0]!.body.tools.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(["Bash", "Write", "Edit"]));
    expect(JSON.stringify(agent[0]!.body.messages)).toContain("Make the files.");
  });

  it("resumes a session, in the same HOME and from a transcript copied into a fresh HOME", async () => {
    const cwd = makeCheckout();
    const home = tempDir("fake-anthropic-home-");
    fake.setScript(sequence(bash("echo one > one.txt"), text("First answer.")));
    const first = await runClaude({ baseUrl: fake.url, cwd, home, prompt: "First prompt." });
    expect(first.result?.subtype).toBe("success");
    const sessionId = first.sessionId!;
    const transcript = transcriptPath(home, cwd, sessionId);
    expect(existsSync(transcript)).toBe(true);

    const resumeAndCheck = async (resumeHome: string, prompt: string) => {
      const before = fake.requests.length;
      fake.setScript(sequence(text(`Answer to ${prompt}`)));
      const r = await runClaude({ baseUrl: fake.url, cwd, home: resumeHome, prompt, resume: sessionId });
      expect(r.code, r.stderr).toBe(0);
      expect(r.result).toMatchObject({ subtype: "success", result: `Answer to ${prompt}`, session_id: sessionId });
      const firstAgent = fake.requests.slice(before).find((q) => q.kind === "agent")!;
      const roles = firstAgent.body.messages.map((m: { role: string }) => m.role);
      const dump = JSON.stringify(firstAgent.body.messages);
      expect(dump).toContain("First prompt.");
      expect(dump).toContain("echo one > one.txt");
      expect(dump).toContain("First answer.");
      expect(roles).toContain("assistant");
      expect(lastUserText(firstAgent.body.messages)).toBe(prompt);
    };

    await resumeAndCheck(home, "Second prompt.");

    const freshHome = tempDir("fake-anthropic-home2-");
    const copied = transcriptPath(freshHome, cwd, sessionId);
    mkdirSync(dirname(copied), { recursive: true });
    copyFileSync(transcript, copied);
    await resumeAndCheck(freshHome, "Third prompt.");
  });
});
