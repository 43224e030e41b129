import { readFileSync } from "node:fs";
import type { Sandbox as E2bSandbox } from "e2b";
import { afterAll, describe, expect, it } from "vitest";
import { buildClaudeArgs, buildClaudeEnv } from "../../src/agent/claude-args.ts";
import { userMessageLine } from "../../src/agent/stream-input.ts";
import { startClaudeProcess, type ClaudeProcess } from "../../src/agent/claude-process.ts";
import { createWarmRegistry, killingWarmWithSandboxes, warmKey, warmMarkEnv, type WarmRegistry } from "../../src/runs/warm-claude.ts";
import { keptProcessFor } from "../../src/runs/warm-step.ts";
import { createE2bProvider, E2B_WORKDIR } from "../../src/sandbox/e2b.ts";
import type { Sandbox } from "../../src/sandbox/types.ts";
import { FakeE2bSandbox } from "../support/fake-e2b.ts";
import { CLAUDE_BIN, sequence, startFakeAnthropic, text } from "../support/fake-anthropic/index.ts";
import { waitFor } from "../support/wait-for.ts";

/**
 * A warm Claude on E2B (issue 19 item 2): the process kept after a run lives on in the paused
 * sandbox, and the next run's connection takes it up again. At the SDK boundary, with real
 * processes behind a fake that keeps E2B's rules (test/support/fake-e2b.ts): the pause freezes
 * them and drops the connections; only a new connection, by pid, reaches them again.
 */

// Stands in for the CLI on streaming input: answers each stdin line with its pid, until EOF.
const ECHO = `process.stdin.setEncoding("utf8"); let buf = "";
process.stdin.on("data", (c) => { buf += c; let i; while ((i = buf.indexOf("\\n")) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1); process.stdout.write(JSON.stringify({ pid: process.pid, got: line }) + "\\n"); } });
process.stdin.on("end", () => process.exit(0));`;
const argv = [process.execPath, "-e", ECHO];
const env = { HOME: "/home/user", ANTHROPIC_API_KEY: "csbgw_kept" };

const log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
const provider = () => createE2bProvider({ apiKey: "e2b_test", template: "claude-sandbox-bot", SandboxClass: FakeE2bSandbox as unknown as typeof E2bSandbox, log });

afterAll(() => FakeE2bSandbox.killAll());

/** Writes a line to the process and waits for its answer on `lines`. */
async function ask(proc: ClaudeProcess, lines: string[], text: string): Promise<{ pid: number; got: string }> {
  await (await proc.stdin).write(`${text}\n`);
  const line = await waitFor(`an answer to ${text}`, () => lines.find((l) => l.includes(`"got":"${text}"`)) ?? null, 10_000, 20);
  return JSON.parse(line) as { pid: number; got: string };
}

function collect(proc: ClaudeProcess): string[] {
  const lines: string[] = [];
  proc.route((chunk) => lines.push(...chunk.split("\n").filter(Boolean)));
  return lines;
}

/** A process state from /proc: "T" stopped (frozen with the VM), "S"/"R" running. */
const procState = (pid: number) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function startKept(): Promise<{ box: Sandbox; proc: ClaudeProcess; pid: number }> {
  const box = await provider().create({ metadata: {}, timeoutMs: 60_000 });
  const proc = startClaudeProcess(box, argv, { cwd: E2B_WORKDIR, env });
  const first = await ask(proc, collect(proc), "first run");
  return { box, proc, pid: first.pid };
}

describe("a kept Claude across E2B's pause and connect", () => {
  it("is let go of at the pause, not lost, and the next connection takes it up: same process, stdin and output", async () => {
    const { box, proc, pid } = await startKept();
    await box.pause();
    expect(proc.gone).toBe(false);
    expect(proc.detachedAs).toMatch(new RegExp(`^${pid}:`));
    expect(procState(pid)).toBe("T");

    const again = await provider().connect(box.id, 60_000);
    if (!again) throw new Error("the sandbox should resume");
    expect(await proc.adopt(again)).toBe(true);
    expect(proc.detachedAs).toBeNull();
    const answer = await ask(proc, collect(proc), "second run");
    expect(answer.pid).toBe(pid);

    // And again: a third run after another pause.
    await again.pause();
    const third = await provider().connect(box.id, 60_000);
    expect(await proc.adopt(third!)).toBe(true);
    expect((await ask(proc, collect(proc), "third run")).pid).toBe(pid);

    proc.kill();
    expect((await proc.exited).exitCode).not.toBe(0);
    await waitFor("the process to be killed", () => !alive(pid) || null, 5_000, 20);
  });

  it("falls back when the process died while the sandbox was paused (a restart): adopt says no and it is gone", async () => {
    const { box, proc, pid } = await startKept();
    await box.pause();
    process.kill(pid, "SIGKILL");
    await waitFor("the process to die", () => FakeE2bSandbox.processes(box.id).get(pid) === false || null, 5_000, 20);
    const again = await provider().connect(box.id, 60_000);
    expect(await proc.adopt(again!)).toBe(false);
    expect(proc.gone).toBe(true);
    expect((await proc.exited).stderr).toMatch(/gone/);
  });

  it("follows a pid only when it still is our command (its mark), not whatever has that pid now", async () => {
    const { box, proc, pid } = await startKept();
    await box.pause();
    const again = await provider().connect(box.id, 60_000);
    expect(await again!.follow!(`${pid}:00000000-0000-4000-8000-000000000000`, {})).toBeNull();
    expect(await again!.follow!(`${pid + 100000}:${proc.detachedAs!.split(":")[1]}`, {})).toBeNull();
    expect(await proc.adopt(again!)).toBe(true);
    proc.kill();
  });

  it("cannot be taken up by another sandbox", async () => {
    const { box, proc } = await startKept();
    await box.pause();
    const other = await provider().create({ metadata: {}, timeoutMs: 60_000 });
    expect(await proc.adopt(other)).toBe(false);
    expect(proc.gone).toBe(true);
  });
});

describe("the real CLI kept across a pause", () => {
  it("answers the next message after the freeze, though the pause dropped its connections to the model", async () => {
    const model = await startFakeAnthropic({ script: sequence(() => text("mango"), () => text("mango again")) });
    try {
      const box = await provider().create({ metadata: {}, timeoutMs: 60_000 });
      const argv = buildClaudeArgs({ command: CLAUDE_BIN, streamInput: true });
      const cliEnv = { ...buildClaudeEnv({ homeDir: "/home/user", anthropicApiKey: "sk-ant-api03-fake", anthropicBaseUrl: model.url }), CLAUDE_CODE_MAX_RETRIES: "2" };
      const proc = startClaudeProcess(box, argv, { cwd: E2B_WORKDIR, env: cliEnv });
      const turn = async (p: ClaudeProcess, prompt: string, want: string) => {
        const lines = collect(p);
        await (await p.stdin).write(userMessageLine(prompt).line);
        return waitFor(`the CLI's result for ${prompt}`, () => lines.find((l) => l.includes('"type":"result"') && l.includes(want)) ?? null, 60_000, 50);
      };
      await turn(proc, "say mango", "mango");
      await box.pause();
      const pid = Number(proc.detachedAs?.split(":")[0]);
      // What E2B's pause does to the CLI's keep-alive connections to the model API.
      model.dropConnections();
      const again = await provider().connect(box.id, 60_000);
      expect(await proc.adopt(again!)).toBe(true);
      await turn(proc, "say it again", "mango again");
      expect(proc.gone).toBe(false);
      expect(FakeE2bSandbox.processes(box.id).get(pid)).toBe(true);
      expect(model.agentRequests()).toHaveLength(2);
      proc.kill();
      await proc.exited;
    } finally {
      await model.close();
    }
  }, 90_000);
});

describe("the warm registry with E2B", () => {
  const threadKey = "acme/widgets#7";
  const next = (warm: WarmRegistry, sandbox: Sandbox, runArgv: string[], runEnv: Record<string, string>) =>
    keptProcessFor({ registry: warm, threadKey, rebind: async () => true }, { sandbox, session: { path: "live", id: "s-1" }, argv: runArgv, env: runEnv });

  /** A first run's process kept for the thread (marked as agent-phase.ts marks it), its sandbox paused: what the next run finds. */
  async function keptAndPaused() {
    const warm = createWarmRegistry();
    const sandboxes = killingWarmWithSandboxes(provider(), warm);
    const box = await sandboxes.create({ metadata: {}, timeoutMs: 60_000 });
    const boxEnv = { ...env, ...warmMarkEnv(box.id) };
    const proc = startClaudeProcess(box, argv, { cwd: E2B_WORKDIR, env: boxEnv });
    const pid = (await ask(proc, collect(proc), "first run")).pid;
    warm.keep(threadKey, { process: proc, sandboxId: box.id, sessionId: "s-1", key: warmKey(argv, boxEnv, E2B_WORKDIR), token: "csbgw_kept" });
    await box.pause();
    return { warm, sandboxes, box, boxEnv, proc, pid };
  }

  it("serves the next run from the kept process once its connection took it up (keptProcessFor)", async () => {
    const { warm, sandboxes, box, boxEnv, proc, pid } = await keptAndPaused();
    const again = await sandboxes.connect(box.id, 60_000);
    const k = await next(warm, again!, argv, boxEnv);
    expect(k.kept.reuse).toBe(proc);
    expect((await ask(proc, collect(proc), "second run")).pid).toBe(pid);
    proc.kill();
  });

  it("sweeps a kept process dropped while its sandbox was paused at the sandbox's next code run", async () => {
    const { warm, sandboxes, box, boxEnv, pid } = await keptAndPaused();
    // A review run in the thread, the idle limit, …: nothing can reach the frozen process now.
    warm.drop(threadKey);
    expect(alive(pid)).toBe(true);
    expect(procState(pid)).toBe("T");
    const again = await sandboxes.connect(box.id, 60_000);
    expect((await next(warm, again!, argv, boxEnv)).kept.reuse).toBeNull();
    await waitFor("the kept process to be swept", () => !alive(pid) || null, 5_000, 20);
  });

  it("sweeps the one a restarted bot process lost track of (a new registry)", async () => {
    const { box, boxEnv, pid } = await keptAndPaused();
    const restarted = createWarmRegistry();
    const again = await killingWarmWithSandboxes(provider(), restarted).connect(box.id, 60_000);
    expect((await next(restarted, again!, argv, boxEnv)).kept.reuse).toBeNull();
    await waitFor("the kept process to be swept", () => !alive(pid) || null, 5_000, 20);
  });

  it("kills an unfitting kept process (another model) through the run's connection, and starts afresh", async () => {
    const { warm, sandboxes, box, boxEnv, pid } = await keptAndPaused();
    const again = await sandboxes.connect(box.id, 60_000);
    expect((await next(warm, again!, [...argv, "--model", "other"], boxEnv)).kept.reuse).toBeNull();
    await waitFor("the kept process to be swept", () => !alive(pid) || null, 5_000, 20);
  });

  it("never sweeps another sandbox's kept process", async () => {
    const kept = await keptAndPaused();
    const other = await keptAndPaused();
    const again = await kept.sandboxes.connect(kept.box.id, 60_000);
    kept.warm.drop(threadKey);
    await next(kept.warm, again!, argv, kept.boxEnv);
    await waitFor("the kept process to be swept", () => !alive(kept.pid) || null, 5_000, 20);
    expect(alive(other.pid)).toBe(true);
  });
});
