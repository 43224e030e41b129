import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CommandExitError, TimeoutError } from "e2b";
import type { Sandbox as E2bSandbox, CommandStartOpts } from "e2b";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildClaudeArgs, buildClaudeEnv } from "../../src/agent/claude-args.ts";
import { runClaude } from "../../src/agent/run-claude.ts";
import { createE2bProvider } from "../../src/sandbox/e2b.ts";
import { createLocalProvider } from "../../src/sandbox/local.ts";
import type { Sandbox } from "../../src/sandbox/types.ts";
import { bash, CLAUDE_BIN, makeCheckout, startFakeAnthropic, tempDir, type FakeAnthropic } from "../support/fake-anthropic/index.ts";

/**
 * Cancel and timeout end what the agent started, on both providers. The real Claude CLI, scripted
 * by the fake Anthropic API, starts a long-lived child through its Bash tool (which puts it in a
 * session of its own), then waits on the model; the run is canceled or times out; the child must be gone.
 */

/** Live processes whose command line is exactly `sleep <seconds>`. */
function sleepers(seconds: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8") === `sleep\0${seconds}\0`) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

let model: FakeAnthropic;
beforeAll(async () => {
  model = await startFakeAnthropic({
    script: (req) => {
      const seconds = /child (\d+)/.exec(req.lastUserText)?.[1];
      if (req.toolResults.length === 0) return bash(`nohup sleep ${seconds} >/dev/null 2>&1 & echo started`, "start a long-lived child");
      return { content: [{ type: "text", text: "Done." }], delayMs: 120_000 }; // the model "thinks" until the run is stopped
    },
  });
});
afterAll(async () => {
  await model?.close();
});

const silent = pino({ level: "silent" });

/** Runs the scripted agent in `box` until `stop` ends it, then checks its child is gone. */
async function agentLeavesNoChild(box: Sandbox, seconds: number, how: "cancel" | "timeout", paths: { cwd: string; home: string; promptFile?: string }) {
  const controller = new AbortController();
  const env = { ...buildClaudeEnv({ homeDir: paths.home, anthropicApiKey: "sk-ant-api03-fake", anthropicBaseUrl: model.url }), CLAUDE_CODE_MAX_RETRIES: "0" };
  let sawChild = false;
  const watch = setInterval(() => {
    sawChild ||= sleepers(seconds).length > 0;
    if (how === "cancel" && sawChild && !controller.signal.aborted) {
      controller.abort();
    }
  }, 50);
  try {
    const running = paths.promptFile
      ? box.run(buildClaudeArgs({ command: CLAUDE_BIN }), { cwd: paths.cwd, env, stdinFile: paths.promptFile, timeoutMs: how === "timeout" ? 8_000 : 0, signal: controller.signal })
      : runClaude({ sandbox: box, argv: buildClaudeArgs({ command: CLAUDE_BIN }), env, prompt: `start the child ${seconds}`, cwd: paths.cwd, timeoutMs: how === "timeout" ? 8_000 : 0, signal: controller.signal });
    const outcome = await running;
    expect(outcome.exitCode).not.toBe(0);
  } finally {
    clearInterval(watch);
  }
  expect(sawChild, "the agent's child never started: the script did not run").toBe(true);
  // The run is over: nothing it started may still be running (a little time for the signals to land).
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(sleepers(seconds)).toEqual([]);
}

describe("local provider", () => {
  const provider = createLocalProvider({ root: tempDir("process-group-"), log: silent, passEnv: ["PATH"] });

  it.each([
    ["cancel", 6101],
    ["timeout", 6102],
  ] as const)("on %s the Bash tool's child is killed too", async (how, seconds) => {
    const box = await provider.create({ metadata: {}, timeoutMs: 60_000 });
    makeRepoAt(box.workdir);
    await agentLeavesNoChild(box, seconds, how, { cwd: box.workdir, home: box.homeDir });
  }, 60_000);
});

/**
 * The e2b provider against a stand-in for the SDK that runs each command with a real bash on this
 * machine, and whose kill signals the one process, as E2B's process API does.
 */
class LocalE2b {
  static last: LocalE2b;
  static async create() {
    return (LocalE2b.last = new LocalE2b());
  }
  readonly sandboxId = "sbx-local";
  sweeps: string[] = [];
  files = { makeDir: async () => true, write: async (path: string, data: string) => writeFileSync(path, data) };
  commands = {
    run: async (cmd: string, opts: CommandStartOpts & { background?: boolean }) => {
      const child = spawn("bash", ["-c", cmd], { cwd: opts.cwd, env: { ...process.env, ...opts.envs }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => ((stdout += c), void opts.onStdout?.(c)));
      child.stderr.setEncoding("utf8").on("data", (c: string) => ((stderr += c), void opts.onStderr?.(c)));
      const exited = new Promise<number>((resolve, reject) => {
        child.on("close", (code) => resolve(code ?? 137));
        // Like the SDK: the deadline ends the stream with a TimeoutError; the process runs on.
        if (opts.timeoutMs) setTimeout(() => reject(new TimeoutError("[deadline_exceeded] the command timed out")), opts.timeoutMs).unref();
      });
      const handle = {
        pid: child.pid,
        wait: async () => {
          const exitCode = await exited;
          if (exitCode !== 0) throw new CommandExitError({ exitCode, stdout, stderr, error: `exit status ${exitCode}` });
          return { exitCode, stdout, stderr };
        },
        kill: async () => child.kill("SIGKILL"),
        disconnect: async () => undefined,
      };
      if (opts.background) return handle;
      if (cmd.includes("CLAUDE_SANDBOX_BOT_PROCESS")) this.sweeps.push(cmd);
      return { exitCode: await exited.catch(() => 124), stdout, stderr };
    },
  };
  kill = async () => true;
}

describe("e2b provider (at the SDK boundary)", () => {
  it.each([
    ["cancel", 6201],
    ["timeout", 6202],
  ] as const)("on %s a sweep is issued after the kill and the Bash tool's child is gone", async (how, seconds) => {
    const provider = createE2bProvider({ apiKey: "e2b_test", template: "t", log: { info() {}, warn() {}, error() {}, debug() {} }, SandboxClass: LocalE2b as unknown as typeof E2bSandbox });
    const box = await provider.create({ metadata: {}, timeoutMs: 60_000 });
    const cwd = makeCheckout("process-group-e2b-");
    const home = tempDir("process-group-e2b-home-");
    mkdirSync(join(home, "tmp"));
    const promptFile = join(home, "prompt.md");
    writeFileSync(promptFile, `start the child ${seconds}`);
    await agentLeavesNoChild(box, seconds, how, { cwd, home, promptFile });
    expect(LocalE2b.last.sweeps).toHaveLength(1);
  }, 60_000);
});

function makeRepoAt(dir: string): void {
  execFileSync("git", ["init", "-q", dir]);
}
