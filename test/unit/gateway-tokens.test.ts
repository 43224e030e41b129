import { describe, expect, it } from "vitest";
import { hashToken, RUN_TOKEN_PREFIX } from "../../src/gateway/run-tokens.ts";
import { testTokens } from "../support/gateway-tokens.ts";

/** Run tokens as the bot keeps them: hashes in its database (here an in-memory SQLite store). */

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const runOf = async (tokens: ReturnType<typeof testTokens>, token: string) => (await tokens.verify(token))?.runId ?? null;

describe("run tokens", () => {
  it("issues a prefixed 256-bit base64url token that verifies to its run, with its grant", async () => {
    const tokens = testTokens();
    const token = await tokens.issue("run-1");
    expect(token.startsWith(RUN_TOKEN_PREFIX)).toBe(true);
    const body = token.slice(RUN_TOKEN_PREFIX.length);
    expect(body).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(body, "base64url").length).toBe(32);
    expect(await tokens.verify(token)).toEqual({ runId: "run-1", installationId: 7, repoFullName: "acme/widgets", capUsd: null, capReason: null });
  });

  it("keeps only the token's hash in the database", async () => {
    const tokens = testTokens();
    const token = await tokens.issue("run-1");
    expect(await tokens.store.gateway.findToken(token)).toBeNull();
    expect(await tokens.store.gateway.findToken(hashToken(token))).toMatchObject({ runId: "run-1", expiresAt: null });
  });

  it("gives each run its own token and each token only its own run", async () => {
    const tokens = testTokens();
    const a = await tokens.issue("run-a");
    const b = await tokens.issue("run-b");
    expect(a).not.toBe(b);
    expect(await runOf(tokens, a)).toBe("run-a");
    expect(await runOf(tokens, b)).toBe("run-b");
    await tokens.revoke("run-a");
    expect(await runOf(tokens, a)).toBeNull();
    expect(await runOf(tokens, b)).toBe("run-b");
  });

  it("refuses wrong tokens: unknown, altered, unprefixed, empty, the hash itself", async () => {
    const tokens = testTokens();
    const token = await tokens.issue("run-1");
    const last = token.at(-1) === "A" ? "B" : "A";
    expect(await runOf(tokens, token.slice(0, -1) + last)).toBeNull();
    expect(await runOf(tokens, token.slice(RUN_TOKEN_PREFIX.length))).toBeNull();
    expect(await runOf(tokens, `${RUN_TOKEN_PREFIX}${Buffer.alloc(32).toString("base64url")}`)).toBeNull();
    expect(await runOf(tokens, "")).toBeNull();
    expect(await runOf(tokens, hashToken(token))).toBeNull();
    expect(await runOf(tokens, `${token} `)).toBeNull();
  });

  it("revoke stops the token at once", async () => {
    const c = clock();
    const tokens = testTokens({ now: c.now });
    const token = await tokens.issue("run-1");
    await tokens.revoke("run-1");
    expect(await runOf(tokens, token)).toBeNull();
  });

  it("expire keeps the token for the grace period only", async () => {
    const c = clock();
    const tokens = testTokens({ now: c.now, graceMs: 30_000 });
    const token = await tokens.issue("run-1");
    c.advance(10 * 60_000); // a long run: no expiry while it runs
    expect(await runOf(tokens, token)).toBe("run-1");
    await tokens.expire("run-1");
    c.advance(29_999);
    expect(await runOf(tokens, token)).toBe("run-1");
    c.advance(1);
    expect(await runOf(tokens, token)).toBeNull();
  });

  it("a second expire does not extend the grace, and expire after revoke does not revive", async () => {
    const c = clock();
    const tokens = testTokens({ now: c.now, graceMs: 1_000 });
    const token = await tokens.issue("run-1");
    await tokens.expire("run-1");
    c.advance(900);
    await tokens.expire("run-1");
    c.advance(100);
    expect(await runOf(tokens, token)).toBeNull();
    const other = await tokens.issue("run-2");
    await tokens.revoke("run-2");
    await tokens.expire("run-2");
    expect(await runOf(tokens, other)).toBeNull();
  });

  it("re-issuing for a run invalidates its earlier token", async () => {
    const tokens = testTokens();
    const first = await tokens.issue("run-1");
    const second = await tokens.issue("run-1");
    expect(await runOf(tokens, first)).toBeNull();
    expect(await runOf(tokens, second)).toBe("run-1");
  });

  it("tokens ended a day ago are deleted, so the table does not grow", async () => {
    const c = clock(Date.parse("2026-12-01T00:00:00Z"));
    const tokens = testTokens({ now: c.now, graceMs: 10 });
    const old = await tokens.issue("run-old");
    await tokens.expire("run-old");
    c.advance(25 * 3_600_000);
    await tokens.issue("run-new");
    expect(await tokens.store.gateway.findToken(hashToken(old))).toBeNull();
  });
});
