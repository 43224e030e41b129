import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { afterResult, createInputTracker, STREAM_INPUT_ARGS, userMessageLine } from "../../src/agent/stream-input.ts";
import {
  CLAUDE_BIN,
  bash,
  claudeEnv,
  makeCheckout,
  removeDirs,
  sequence,
  startFakeAnthropic,
  tempDir,
  text,
  type AgentRequest,
  type FakeAnthropic,
} from "../support/fake-anthropic/index.ts";

/**
 * The pinned CLI's streaming input, as src/agent/stream-input.ts describes it (the design rests on
 * it): these fail if a new CLI behaves differently.
 */

const made: string[] = [];
afterAll(() => removeDirs(...made));

interface Cli {
  child: ChildProcessWithoutNullStreams;
  events: any[];
  waitFor(pred: (e: any) => boolean): Promise<any>;
  send(text: string): string;
  exit: Promise<number | null>;
  tracker: ReturnType<typeof createInputTracker>;
}

function startCli(fake: FakeAnthropic, cwd: string, home: string, extra: string[] = []): Cli {
  const args = ["-p", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions", ...STREAM_INPUT_ARGS, ...extra];
  const child = spawn(CLAUDE_BIN, args, { cwd, env: claudeEnv({ baseUrl: fake.url, home }), stdio: ["pipe", "pipe", "pipe"] });
  const events: any[] = [];
  const waiters: Array<{ pred: (e: any) => boolean; done: (e: any) => void }> = [];
  const tracker = createInputTracker();
  let buf = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buf += chunk;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let event: any;
      try {
        event = JSON.parse(line);
      } catch {
        continue;
      }
      events.push(event);
      tracker.observe(event);
      for (const w of [...waiters]) if (w.pred(event)) waiters.splice(waiters.indexOf(w), 1) && w.done(event);
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    child,
    events,
    tracker,
    exit,
    waitFor: (pred) => new Promise((done) => waiters.push({ pred, done })),
    send(message) {
      const { uuid, line } = userMessageLine(message);
      tracker.written(uuid);
      child.stdin.write(line);
      return uuid;
    },
  };
}

/** The text of the request's system-role messages (how the CLI surfaces a message sent mid-turn). */
const systemTexts = (req: AgentRequest) =>
  req.messages.filter((m: any) => m.role === "system").flatMap((m: any) => (typeof m.content === "string" ? [m.content] : m.content.map((b: any) => b.text ?? "")));
const userTexts = (req: AgentRequest) =>
  req.messages.filter((m: any) => m.role === "user").flatMap((m: any) => (typeof m.content === "string" ? [m.content] : m.content.filter((b: any) => b.type === "text").map((b: any) => b.text)));

describe("the pinned CLI's streaming input (real CLI, scripted model)", () => {
  it("takes a message sent mid-turn at the next request, starts a turn for a late one, waits after a result, exits on EOF, and resumes", async () => {
    const requests: AgentRequest[] = [];
    const gate: { open?: () => void; onHeld?: (n: number) => void } = {};
    let held = 0;
    const hold = async (req: AgentRequest, reply: ReturnType<typeof text>) => {
      requests.push(req);
      gate.onHeld?.(++held);
      await new Promise<void>((resolve) => (gate.open = resolve));
      return reply;
    };
    const fake = await startFakeAnthropic({
      script: sequence(
        (req) => (requests.push(req), bash("echo one")),
        (req) => hold(req, bash("echo two")),
        (req) => hold(req, text("first done")),
        (req) => (requests.push(req), text("second done")),
        (req) => (requests.push(req), text("third done")),
      ),
    });
    const cwd = makeCheckout();
    const home = tempDir("stream-input-home-");
    made.push(cwd, home);
    try {
      const cli = startCli(fake, cwd, home);
      // Nothing is printed before the first message.
      await new Promise((r) => setTimeout(r, 300));
      expect(cli.events).toEqual([]);
      let steerDuringTool = "";
      let steerDuringReply = "";
      gate.onHeld = (n) => {
        if (n === 1) steerDuringTool = cli.send("steer while a tool turn is held");
        if (n === 2) steerDuringReply = cli.send("steer while the last reply is held");
        // Let the CLI read the line first (its "queued" event), then answer.
        void cli.waitFor((e) => e.type === "command_lifecycle" && e.state === "queued" && e.command_uuid === (n === 1 ? steerDuringTool : steerDuringReply)).then(() => gate.open?.());
      };
      const prompt = cli.send("the prompt");
      const first = await cli.waitFor((e) => e.type === "result");
      expect(first.result).toBe("first done");
      // The mid-turn message went into the next request of the same turn, as a system message.
      expect(requests[2] && systemTexts(requests[2]).join("\n")).toMatch(/The user sent a new message while you were working:\nsteer while a tool turn is held/);
      expect(cli.tracker.state(steerDuringTool)).not.toMatch(/written|queued/);
      expect(cli.tracker.state(prompt)).toMatch(/started|completed/);
      // The late one was still waiting at the result: a new turn will come for it.
      expect(afterResult(cli.tracker)).toBe("wait");
      const second = await cli.waitFor((e) => e.type === "result");
      expect(second.result).toBe("second done");
      expect(second.session_id).toBe(first.session_id);
      // The cost is the process's running total: it grew, though this one-request turn used fewer
      // tokens (usage is the turn's) than the first, three-request turn.
      expect(second.usage.input_tokens).toBeLessThan(first.usage.input_tokens);
      expect(second.total_cost_usd).toBeGreaterThan(first.total_cost_usd);
      expect(requests[3] && userTexts(requests[3]).at(-1)).toBe("steer while the last reply is held");
      expect(cli.events.filter((e) => e.type === "system" && e.subtype === "init").map((e) => e.session_id)).toEqual([first.session_id, first.session_id]);
      expect(afterResult(cli.tracker)).toBe("end");
      // After a result the process waits for more input; EOF ends it.
      await new Promise((r) => setTimeout(r, 500));
      expect(cli.child.exitCode).toBeNull();
      cli.child.stdin.end();
      expect(await cli.exit).toBe(0);

      const resumed = startCli(fake, cwd, home, ["--resume", first.session_id]);
      resumed.send("a follow-up");
      const third = await resumed.waitFor((e) => e.type === "result");
      expect(third.session_id).toBe(first.session_id);
      expect(requests[4] && userTexts(requests[4])).toContain("steer while the last reply is held");
      resumed.child.stdin.end();
      expect(await resumed.exit).toBe(0);
    } finally {
      await fake.close();
    }
  }, 60_000);

  it("finishes the turn that is going when stdin ends, then exits 0", async () => {
    const gate: { open?: () => void } = {};
    let onHeld = () => {};
    const fake = await startFakeAnthropic({
      script: sequence(
        async () => {
          onHeld();
          await new Promise<void>((resolve) => (gate.open = resolve));
          return bash("echo one");
        },
        text("done after EOF"),
      ),
    });
    const cwd = makeCheckout();
    const home = tempDir("stream-input-home-");
    made.push(cwd, home);
    try {
      const cli = startCli(fake, cwd, home);
      onHeld = () => {
        cli.child.stdin.end();
        setTimeout(() => gate.open?.(), 300);
      };
      cli.send("the prompt");
      expect(await cli.exit).toBe(0);
      expect(cli.events.findLast((e) => e.type === "result")?.result).toBe("done after EOF");
    } finally {
      await fake.close();
    }
  }, 60_000);
});

describe("input tracker", () => {
  it("counts what is still waiting, ignores lines it did not write, and only moves forward", () => {
    const t = createInputTracker();
    t.written("a");
    t.written("b");
    expect(t.waiting()).toBe(2);
    expect(t.observe({ type: "command_lifecycle", command_uuid: "a", state: "queued" })).toBeNull();
    expect(t.observe({ type: "command_lifecycle", command_uuid: "a", state: "started" })).toBe("a");
    expect(t.observe({ type: "command_lifecycle", command_uuid: "a", state: "queued" })).toBeNull();
    expect(t.state("a")).toBe("started");
    expect(t.observe({ type: "command_lifecycle", command_uuid: "zzz", state: "started" })).toBeNull();
    expect(t.observe({ type: "assistant" })).toBeNull();
    expect(afterResult(t)).toBe("wait");
    expect(t.observe({ type: "command_lifecycle", command_uuid: "b", state: "completed" })).toBe("b");
    expect(afterResult(t)).toBe("end");
  });

  it("writes one JSON line per message", () => {
    const { uuid, line } = userMessageLine('say "hi"\nplease', "u-1");
    expect(uuid).toBe("u-1");
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({ type: "user", uuid: "u-1", message: { role: "user", content: [{ type: "text", text: 'say "hi"\nplease' }] } });
  });
});
