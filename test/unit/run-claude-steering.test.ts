import { execFileSync } from "node:child_process";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { buildClaudeArgs, buildClaudeEnv } from "../../src/agent/claude-args.ts";
import { runClaude } from "../../src/agent/run-claude.ts";
import type { ClaudeInbox, InboxMessage } from "../../src/agent/stdin-feed.ts";
import { createLocalProvider } from "../../src/sandbox/local.ts";
import { bash, CLAUDE_BIN, removeDirs, sequence, startFakeAnthropic, tempDir, text, type AgentRequest } from "../support/fake-anthropic/index.ts";

/**
 * run-claude with an inbox, on the local provider with the real CLI: the prompt goes in as the
 * first message on an open stdin, a message arriving while the model holds a turn reaches the
 * next model request of the same process, and stdin ends once the last turn's result is in.
 */

const made: string[] = [];
afterAll(() => removeDirs(...made));

/** An inbox in memory, the way the store's behaves: offers after close are refused. */
function memoryInbox() {
  const pending: InboxMessage[] = [];
  const delivered: string[] = [];
  let open = true;
  let takes = 0;
  const inbox: ClaudeInbox = {
    pollMs: 100,
    take: async () => (takes++, pending.splice(0)),
    close: async () => ((open = false), pending.splice(0)),
    onDelivered: (m) => void delivered.push(m.id),
  };
  return {
    inbox,
    delivered,
    offer: (m: InboxMessage) => (open ? (pending.push(m), true) : false),
    get takes() {
      return takes;
    },
  };
}

const systemTexts = (req: AgentRequest | undefined) => (req?.messages ?? []).filter((m: any) => m.role === "system").flatMap((m: any) => (typeof m.content === "string" ? [m.content] : m.content.map((b: any) => b.text ?? "")));

async function setUp() {
  const root = tempDir("run-claude-steer-");
  made.push(root);
  const box = await createLocalProvider({ root, log: pino({ level: "silent" }) }).create({ metadata: {}, timeoutMs: 120_000 });
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: box.workdir });
  return box;
}

/** The real CLI in a fresh local sandbox, with streaming input and this inbox, against the scripted model. */
async function runSteered(modelUrl: string, inbox: ClaudeInbox, args: { maxTurns?: number } = {}) {
  const box = await setUp();
  return runClaude({
    sandbox: box,
    argv: buildClaudeArgs({ command: CLAUDE_BIN, streamInput: true, ...args }),
    env: { ...buildClaudeEnv({ homeDir: box.homeDir, anthropicApiKey: "sk-ant-api03-fake", anthropicBaseUrl: modelUrl }), CLAUDE_CODE_MAX_RETRIES: "0" },
    prompt: "the task",
    cwd: box.workdir,
    timeoutMs: 60_000,
    inbox,
  });
}

describe("runClaude with streaming input (real CLI)", () => {
  it("delivers a message that arrives mid-turn at the next request, same process and session, one result", async () => {
    const requests: AgentRequest[] = [];
    const memory = memoryInbox();
    let offered = false;
    const fake = await startFakeAnthropic({
      script: sequence(
        (req) => (requests.push(req), bash("echo working")),
        async (req) => {
          requests.push(req);
          // The turn is held until the message was offered and the run took it.
          offered = memory.offer({ id: "m1", text: "please also update the README" });
          const takesThen = memory.takes;
          while (memory.takes < takesThen + 2) await new Promise((r) => setTimeout(r, 50));
          return bash("echo more");
        },
        (req) => (requests.push(req), text("all done")),
      ),
    });
    try {
      const out = await runSteered(fake.url, memory.inbox);
      expect(offered).toBe(true);
      expect(out.exitCode).toBe(0);
      expect(out.result?.result).toBe("all done");
      expect(out.extraResults).toBe(0);
      expect(out.undelivered).toEqual([]);
      expect(systemTexts(requests[2]).join("\n")).toContain("please also update the README");
      expect(memory.delivered).toEqual(["m1"]);
      expect(out.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      // The inbox was closed when stdin ended: a later offer is refused (it becomes a run).
      expect(memory.offer({ id: "late", text: "x" })).toBe(false);
    } finally {
      await fake.close();
    }
  }, 90_000);

  it("gives a message that arrives during the last reply a turn of its own, and takes that turn's result as the run's", async () => {
    const requests: AgentRequest[] = [];
    const memory = memoryInbox();
    const fake = await startFakeAnthropic({
      script: sequence(
        async (req) => {
          requests.push(req);
          memory.offer({ id: "late-1", text: "one more thing: add a test" });
          const takesThen = memory.takes;
          while (memory.takes < takesThen + 2) await new Promise((r) => setTimeout(r, 50));
          return text("first answer");
        },
        (req) => (requests.push(req), text("second answer")),
      ),
    });
    try {
      const out = await runSteered(fake.url, memory.inbox);
      expect(out.exitCode).toBe(0);
      expect(out.result?.result).toBe("second answer");
      expect(requests).toHaveLength(2);
      expect(memory.delivered).toEqual(["late-1"]);
      expect(out.extraResults).toBe(0);
    } finally {
      await fake.close();
    }
  }, 90_000);

  it("after a failed result (the turn cap) a waiting message gets no fresh turn budget: the process is ended", async () => {
    const memory = memoryInbox();
    let requests = 0;
    const fake = await startFakeAnthropic({
      script: async () => {
        requests += 1;
        if (requests === 2) {
          // The message arrives while the capped turn's last request is held.
          memory.offer({ id: "over-cap", text: "keep going" });
          const takesThen = memory.takes;
          while (memory.takes < takesThen + 2) await new Promise((r) => setTimeout(r, 50));
        }
        return bash("echo again");
      },
    });
    try {
      const out = await runSteered(fake.url, memory.inbox, { maxTurns: 2 });
      expect(out.result?.subtype).toBe("error_max_turns");
      // The CLI may already have attached it to the request the cap then refused ("started"): it is
      // reported once, either way.
      expect([...memory.delivered, ...out.undelivered.map((m) => m.id)]).toEqual(["over-cap"]);
      // The CLI starts the message's turn the moment it prints the capped result, quicker than a kill
      // can land; but that turn is cut off at once instead of getting a fresh cap of its own (2 more).
      await new Promise((r) => setTimeout(r, 1000));
      expect(requests).toBeLessThanOrEqual(3);
    } finally {
      await fake.close();
    }
  }, 90_000);
});
