import { describe, expect, it } from "vitest";
import { egressAllowList, PACKAGE_REGISTRIES } from "../../src/config/egress.ts";
import { decideBudget, startOfUtcDay } from "../../src/runs/budget.ts";
import { createRedactor } from "../../src/util/redact.ts";
import { createSecretRegistry } from "../../src/util/secret-registry.ts";

describe("egress allow-list", () => {
  it("defaults to the model API, the git host and package registries", () => {
    const list = egressAllowList({})!;
    expect(list).toContain("api.anthropic.com");
    expect(list).toContain("github.com");
    for (const r of PACKAGE_REGISTRIES) expect(list).toContain(r);
  });
  it("follows a gateway and GitHub Enterprise Server", () => {
    const list = egressAllowList({ anthropicBaseUrl: "https://llm.corp.example/v1", gheHost: "git.corp.example:8443" })!;
    expect(list.slice(0, 2)).toEqual(["llm.corp.example", "git.corp.example"]);
    expect(list).not.toContain("github.com");
  });
  it("SANDBOX_ALLOW_OUT replaces the registries (never the model API and git host), and * lifts it", () => {
    const list = egressAllowList({ allowOut: "a.example, 10.0.0.0/8 ,," })!;
    expect(list.slice(0, 2)).toEqual(["api.anthropic.com", "github.com"]);
    expect(list.slice(-2)).toEqual(["a.example", "10.0.0.0/8"]);
    for (const r of PACKAGE_REGISTRIES) expect(list).not.toContain(r);
    expect(egressAllowList({ allowOut: "*" })).toBeUndefined();
  });
});

describe("daily budgets", () => {
  it("allows what is left of the tighter budget and refuses once one is used up", () => {
    expect(decideBudget({ repo: 1, installation: 8 }, { repoDailyUsd: 5, installationDailyUsd: 10 }, "o/r")).toEqual({ allowed: true, remainingUsd: 2, spent: { repo: 1, installation: 8 } });
    expect(decideBudget({ repo: 0, installation: 0 }, {}, "o/r")).toMatchObject({ allowed: true, remainingUsd: null });
    const repo = decideBudget({ repo: 5, installation: 0 }, { repoDailyUsd: 5 }, "o/r");
    expect(repo.allowed === false && repo.message).toMatch(/o\/r has used its daily budget \(\$5\.00 of \$5\.00\).*budget\.dailyUsd/);
    const inst = decideBudget({ repo: 0, installation: 12 }, { installationDailyUsd: 10 }, "o/r");
    expect(inst.allowed === false && inst.message).toMatch(/DAILY_BUDGET_USD_PER_INSTALLATION/);
  });
  it("counts the UTC day", () => {
    expect(startOfUtcDay(Date.parse("2026-11-22T23:59:59+05:00"))).toBe("2026-11-22T00:00:00.000Z");
  });
});

describe("secret redaction", () => {
  it("redacts every registered value, longest first, and forgets expired tokens", () => {
    let now = 0;
    const registry = createSecretRegistry(() => now);
    registry.add("sk-ant-secret-ABCDEFGH");
    registry.add("sk-ant-secret-ABCDEFGH-longer");
    registry.add("ghs_token_value_123", 1000);
    registry.add("short");
    expect(registry.redact("a sk-ant-secret-ABCDEFGH-longer b sk-ant-secret-ABCDEFGH c ghs_token_value_123 short")).toBe("a *** b *** c *** short");
    now = 2000;
    expect(registry.redact("ghs_token_value_123")).toBe("ghs_token_value_123");
  });
  it("a run's redactor also registers its secrets process-wide (for the log)", () => {
    const registry = createSecretRegistry();
    const redact = createRedactor(["model-key-12345678"], registry);
    redact.add("ghs_minted_token_1234");
    expect(redact("x model-key-12345678 ghs_minted_token_1234")).toBe("x *** ***");
    expect(registry.redact("log: ghs_minted_token_1234")).toBe("log: ***");
  });
});

describe("reply limiter", () => {
  it("answers once per key per window, in this process and across processes", async () => {
    const { createReplyLimiter } = await import("../../src/intake/reply-limiter.ts");
    let now = 0;
    const claimed = new Set<string>();
    const claimOnce = async (key: string) => (claimed.has(key) ? false : (claimed.add(key), true));
    const a = createReplyLimiter(3_600_000, claimOnce, () => now);
    const b = createReplyLimiter(3_600_000, claimOnce, () => now);
    expect(await a.allow("o/r#1@eve")).toBe(true);
    expect(await a.allow("o/r#1@eve")).toBe(false);
    expect(await b.allow("o/r#1@eve")).toBe(false); // the other process: same hour, already answered
    expect(await a.allow("o/r#2@eve")).toBe(true);
    now = 3_600_001;
    expect(await a.allow("o/r#1@eve")).toBe(true);
  });
});
