import { describe, expect, it } from "vitest";
import type { ClaudeProcess } from "../../src/agent/claude-process.ts";
import { createWarmRegistry, warmKey } from "../../src/runs/warm-claude.ts";
import type { CommandResult, Sandbox } from "../../src/sandbox/types.ts";
import { keptProcessFor } from "../../src/runs/warm-step.ts";
import { sandboxMark, WARM_MARK_VAR } from "../../src/sandbox/process-sweep.ts";
import { grantFor, testTokens } from "../support/gateway-tokens.ts";

/** The registry of kept Claude processes and the gateway token that moves with one to the next run. */

function fakeProcess(sandboxId = "sb-1") {
  let exit: (r: CommandResult) => void = () => {};
  const exited = new Promise<CommandResult>((resolve) => (exit = resolve));
  const state = { killed: 0, gone: false };
  const process: ClaudeProcess = {
    sandboxId,
    stdin: Promise.resolve({ write: async () => {}, end: async () => {} }),
    exited,
    get gone() {
      return state.gone;
    },
    detachedAs: null,
    adopt: async () => !state.gone,
    route: () => {},
    stderrTail: () => "",
    kill: () => {
      state.killed += 1;
      state.gone = true;
      exit({ exitCode: 137, stdout: "", stderr: "" });
    },
  };
  return { process, state, exit: (r: CommandResult) => ((state.gone = true), exit(r)) };
}

const entry = (p: ClaudeProcess, over: Partial<{ sandboxId: string; sessionId: string; key: string }> = {}) => ({ process: p, sandboxId: "sb-1", sessionId: "s-1", key: "k", token: "csbgw_x", ...over });
const want = { sandboxId: "sb-1", sessionId: "s-1", key: "k" };

describe("warm registry", () => {
  it("hands a fitting kept process to the next run once, and kills one that does not fit", () => {
    const warm = createWarmRegistry();
    const a = fakeProcess();
    warm.keep("t", entry(a.process));
    expect(warm.take("t", want)?.process).toBe(a.process);
    expect(warm.take("t", want)).toBeNull();
    const b = fakeProcess();
    warm.keep("t", entry(b.process));
    expect(warm.take("t", { ...want, key: "other" })).toBeNull();
    expect(b.state.killed).toBe(1);
    const c = fakeProcess();
    warm.keep("t", entry(c.process));
    expect(warm.take("t", { ...want, sandboxId: "sb-2" })).toBeNull();
    expect(c.state.killed).toBe(1);
  });

  it("forgets a process that exited, and kills kept ones with their sandbox, on drop and at close", async () => {
    const warm = createWarmRegistry();
    const a = fakeProcess();
    warm.keep("t", entry(a.process));
    a.exit({ exitCode: 0, stdout: "", stderr: "" });
    await new Promise((r) => setTimeout(r, 0));
    expect(warm.size).toBe(0);
    const b = fakeProcess();
    const c = fakeProcess("sb-2");
    const d = fakeProcess("sb-3");
    warm.keep("t1", entry(b.process));
    warm.keep("t2", entry(c.process, { sandboxId: "sb-2" }));
    warm.keep("t3", entry(d.process, { sandboxId: "sb-3" }));
    warm.dropSandbox("sb-1");
    expect([b.state.killed, c.state.killed]).toEqual([1, 0]);
    warm.drop("t2");
    expect(c.state.killed).toBe(1);
    warm.closeAll();
    expect(d.state.killed).toBe(1);
    expect(warm.size).toBe(0);
  });

  it("keeps at most maxKept processes, killing the one kept longest ago", () => {
    const warm = createWarmRegistry({ maxKept: 2 });
    const [a, b, c] = [fakeProcess(), fakeProcess(), fakeProcess()];
    warm.keep("t1", entry(a.process));
    warm.keep("t2", entry(b.process));
    warm.keep("t3", entry(c.process));
    expect(warm.size).toBe(2);
    expect([a.state.killed, b.state.killed, c.state.killed]).toEqual([1, 0, 0]);
    expect(warm.take("t1", want)).toBeNull();
    warm.closeAll();
  });

  it("kills a kept process after the idle limit", async () => {
    const warm = createWarmRegistry({ idleMs: 20 });
    const a = fakeProcess();
    warm.keep("t", entry(a.process));
    await new Promise((r) => setTimeout(r, 60));
    expect(a.state.killed).toBe(1);
    expect(warm.take("t", want)).toBeNull();
  });

  it("keys a process by its command line and environment, not its session, budget flag or token", () => {
    const base = ["claude", "-p", "--model", "m"];
    const k = warmKey(base, { HOME: "/h", ANTHROPIC_API_KEY: "csbgw_a" }, "/w");
    expect(warmKey([...base, "--resume", "s-1", "--max-budget-usd", "1"], { HOME: "/h", ANTHROPIC_API_KEY: "csbgw_b" }, "/w")).toBe(k);
    expect(warmKey(["claude", "-p", "--model", "other"], { HOME: "/h" }, "/w")).not.toBe(k);
    expect(warmKey(base, { HOME: "/h", EXTRA: "1" }, "/w")).not.toBe(k);
    expect(warmKey(base, { HOME: "/h" }, "/elsewhere")).not.toBe(k);
    // The same --mcp-config path with other servers in the file is another process.
    expect(warmKey(base, { HOME: "/h", ANTHROPIC_API_KEY: "csbgw_a" }, "/w", '{"mcpServers":{"a":{}}}')).not.toBe(k);
  });
});

describe("run token rebind (a warm Claude's token follows it to the next run)", () => {
  it("moves the token, with the new run's cap, and closing the new run closes it", async () => {
    const tokens = testTokens();
    const token = await tokens.issue("run-1");
    await tokens.expire("run-1");
    const other = await tokens.issue("run-2");
    expect(await tokens.rebind(token, grantFor("run-2", { capUsd: 0.5 }))).toBe(true);
    expect(await tokens.verify(token)).toMatchObject({ runId: "run-2", capUsd: 0.5 });
    // The new run's own token, never handed to the kept process, stops working.
    expect(await tokens.verify(other)).toBeNull();
    await tokens.revoke("run-2");
    expect(await tokens.verify(token)).toBeNull();
    expect(await tokens.rebind("csbgw_unknown", grantFor("run-3"))).toBe(false);
    expect(await tokens.rebind("not-a-token", grantFor("run-3"))).toBe(false);
  });
});

describe("the run's side: keptProcessFor", () => {
  const sweeps: string[][] = [];
  // follow: a sandbox whose processes can outlive the connection (E2B), where a run sweeps what it does not take up.
  const sandbox = { id: "sb-1", workdir: "/w", follow: async () => null, run: async (argv: string[]) => (sweeps.push(argv), { exitCode: 0, stdout: "", stderr: "" }) } as unknown as Sandbox;
  const argv = ["claude", "-p"];
  const env = { HOME: "/h", ANTHROPIC_API_KEY: "csbgw_new" };
  const key = warmKey(argv, env, "/w");
  const use = (warm: ReturnType<typeof createWarmRegistry>, rebind: (t: string) => Promise<boolean>) => ({ registry: warm, threadKey: "t", rebind });

  it("reuses the live session's kept process with its token rebound, and keeps this run's for the next", async () => {
    const warm = createWarmRegistry();
    const a = fakeProcess();
    warm.keep("t", entry(a.process, { key }));
    const rebound: string[] = [];
    const k = await keptProcessFor(use(warm, async (t) => (rebound.push(t), true)), { sandbox, session: { path: "live", id: "s-1" }, argv, env });
    expect(k.kept.reuse).toBe(a.process);
    expect(rebound).toEqual(["csbgw_x"]);
    k.kept.park(a.process);
    k.settle("s-1");
    expect(warm.take("t", { sandboxId: "sb-1", sessionId: "s-1", key })?.token).toBe("csbgw_x");
  });

  it("starts a new process when the token cannot be rebound, and drops the kept one for a new or restored session", async () => {
    const warm = createWarmRegistry();
    const a = fakeProcess();
    warm.keep("t", entry(a.process, { key }));
    const k = await keptProcessFor(use(warm, async () => false), { sandbox, session: { path: "live", id: "s-1" }, argv, env });
    expect(k.kept.reuse).toBeNull();
    expect(a.state.killed).toBe(1);
    // And whatever else carries the sandbox's warm mark is swept before the new process starts.
    expect(sweeps.at(-1)?.slice(-2)).toEqual([sandboxMark("sb-1"), WARM_MARK_VAR]);
    const b = fakeProcess();
    warm.keep("t", entry(b.process, { key }));
    await keptProcessFor(use(warm, async () => true), { sandbox, session: { path: "new" }, argv, env });
    expect(b.state.killed).toBe(1);
    // A parked process without a session to name it is not kept.
    const c = fakeProcess();
    const k2 = await keptProcessFor(use(warm, async () => true), { sandbox, session: { path: "new" }, argv, env });
    k2.kept.park(c.process);
    k2.settle(null);
    expect(c.state.killed).toBe(1);
    expect(warm.size).toBe(0);
  });
});
