import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { judgeResult } from "../../src/agent/result-trust.ts";
import { runClaude } from "../../src/agent/run-claude.ts";
import { createLocalProvider } from "../../src/sandbox/local.ts";

/**
 * The run's result is the first result event of the Claude process, and only when its figures are
 * believable: a line the agent forges onto the CLI's stdout does not move the daily budget.
 * The "CLI" here is a real recorded stream-json transcript printed through the real local provider.
 */

const FIXTURE = join(import.meta.dirname, "../fixtures/stream-json/success-with-todos.jsonl");
const recorded = readFileSync(FIXTURE, "utf8").trim().split("\n");
const realResult = JSON.parse(recorded.find((l) => l.includes('"type":"result"'))!) as Record<string, unknown>;
const forged = (fields: Record<string, unknown>) => JSON.stringify({ ...realResult, ...fields });

describe("Claude's result line is not taken on trust", () => {
  const root = mkdtempSync(join(tmpdir(), "csb-result-"));
  const provider = createLocalProvider({ root, log: pino({ level: "silent" }) });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function replay(lines: string[], maxCostUsd?: number) {
    const sbx = await provider.create({ metadata: {}, timeoutMs: 10_000 });
    const file = join(sbx.homeDir, "stream.jsonl");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const seen: string[] = [];
    const out = await runClaude({ sandbox: sbx, argv: ["cat", file], env: {}, prompt: "x", cwd: sbx.workdir, timeoutMs: 10_000, maxCostUsd, onEvent: (e) => seen.push(e.type) });
    await sbx.kill();
    return { out, seen };
  }

  it("a forged result after the CLI's own (a leftover process printing late) is ignored", async () => {
    const { out, seen } = await replay([...recorded, forged({ total_cost_usd: -500, num_turns: 1 })]);
    expect(out.result?.total_cost_usd).toBe(realResult.total_cost_usd);
    expect(out.extraResults).toBe(1);
    expect(seen.filter((t) => t === "result")).toHaveLength(1);
  });

  it("a first result with a negative cost is rejected: no result, so nothing is credited to the budget", async () => {
    const { out } = await replay([recorded[0]!, forged({ total_cost_usd: -500 })]);
    expect(out.result).toBeNull();
    expect(out.rejectedResult).toMatch(/total_cost_usd -500 is not a cost/);
  });

  it("absurd figures are rejected: a cost far above the run's cap, infinite cost, negative turns", async () => {
    expect((await replay([forged({ total_cost_usd: 201 })], 20)).out.rejectedResult).toMatch(/above the believable 200/);
    // A tiny cap: the CLI overshoots it by a turn, so the bound does not fall below 100 USD.
    expect((await replay([forged({ total_cost_usd: 0.05 })], 0.0001)).out.rejectedResult).toBeNull();
    expect((await replay([forged({ total_cost_usd: 101 })], 0.0001)).out.rejectedResult).toMatch(/above the believable 100/);
    expect((await replay([forged({ total_cost_usd: 5000 })])).out.rejectedResult).toMatch(/above the believable 1000/);
    // JSON cannot say NaN, but 1e999 parses to Infinity.
    expect((await replay([forged({ total_cost_usd: 1 }).replace('"total_cost_usd":1', '"total_cost_usd":1e999')])).out.result).toBeNull();
    expect((await replay([forged({ num_turns: -3 })])).out.rejectedResult).toMatch(/num_turns -3/);
  });

  it("the recorded result of a real run is believed", async () => {
    const { out } = await replay(recorded, 5);
    expect(out.rejectedResult).toBeNull();
    expect(out.result?.session_id).toBe(realResult.session_id);
    expect(judgeResult(out.result!, 5)).toEqual({ trusted: true });
  });
});
