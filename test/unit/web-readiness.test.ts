import { describe, expect, it } from "vitest";
import { runChecks } from "../../src/web/readiness.ts";

describe("readiness checks", () => {
  it("is ready when every check answers, and names the ones that failed or hung", async () => {
    expect(await runChecks({ database: async () => 1, queue: async () => undefined }, 100)).toEqual({ ready: true, checks: { database: { ok: true }, queue: { ok: true } } });
    const result = await runChecks(
      {
        database: async () => {
          throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
        },
        queue: () => new Promise(() => {}),
        process: async () => true,
      },
      50,
    );
    expect(result).toEqual({
      ready: false,
      checks: { database: { ok: false, error: "connect ECONNREFUSED 127.0.0.1:5432" }, queue: { ok: false, error: "no answer within 50 ms" }, process: { ok: true } },
    });
  });

  it("a check that throws synchronously is a failed check, not a crash", async () => {
    const result = await runChecks(
      {
        database: () => {
          throw new Error("closed");
        },
      },
      50,
    );
    expect(result.checks.database).toEqual({ ok: false, error: "closed" });
  });
});
