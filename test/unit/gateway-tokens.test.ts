import { describe, expect, it } from "vitest";
import { createRunTokens, hashToken, RUN_TOKEN_PREFIX } from "../../src/gateway/run-tokens.ts";

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("run tokens", () => {
  it("issues a prefixed 256-bit base64url token that verifies to its run", () => {
    const tokens = createRunTokens();
    const token = tokens.issue("run-1");
    expect(token.startsWith(RUN_TOKEN_PREFIX)).toBe(true);
    const body = token.slice(RUN_TOKEN_PREFIX.length);
    expect(body).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(body, "base64url").length).toBe(32);
    expect(tokens.verify(token)).toBe("run-1");
  });

  it("gives each run its own token and each token only its own run", () => {
    const tokens = createRunTokens();
    const a = tokens.issue("run-a");
    const b = tokens.issue("run-b");
    expect(a).not.toBe(b);
    expect(tokens.verify(a)).toBe("run-a");
    expect(tokens.verify(b)).toBe("run-b");
    tokens.revoke("run-a");
    expect(tokens.verify(a)).toBeNull();
    expect(tokens.verify(b)).toBe("run-b");
  });

  it("refuses wrong tokens: unknown, altered, unprefixed, empty, the hash itself", () => {
    const tokens = createRunTokens();
    const token = tokens.issue("run-1");
    const last = token.at(-1) === "A" ? "B" : "A";
    expect(tokens.verify(token.slice(0, -1) + last)).toBeNull();
    expect(tokens.verify(token.slice(RUN_TOKEN_PREFIX.length))).toBeNull();
    expect(tokens.verify(`${RUN_TOKEN_PREFIX}${Buffer.alloc(32).toString("base64url")}`)).toBeNull();
    expect(tokens.verify("")).toBeNull();
    expect(tokens.verify(hashToken(token))).toBeNull();
    expect(tokens.verify(`${token} `)).toBeNull();
  });

  it("revoke stops the token at once", () => {
    const tokens = createRunTokens();
    const token = tokens.issue("run-1");
    tokens.revoke("run-1");
    expect(tokens.verify(token)).toBeNull();
    expect(tokens.size()).toBe(0);
  });

  it("expire keeps the token for the grace period only", () => {
    const c = clock();
    const tokens = createRunTokens({ now: c.now, graceMs: 30_000 });
    const token = tokens.issue("run-1");
    c.advance(10 * 60_000); // a long run: no expiry while it runs
    expect(tokens.verify(token)).toBe("run-1");
    tokens.expire("run-1");
    c.advance(29_999);
    expect(tokens.verify(token)).toBe("run-1");
    c.advance(1);
    expect(tokens.verify(token)).toBeNull();
    expect(tokens.size()).toBe(0);
  });

  it("a second expire does not extend the grace", () => {
    const c = clock();
    const tokens = createRunTokens({ now: c.now, graceMs: 1_000 });
    const token = tokens.issue("run-1");
    tokens.expire("run-1");
    c.advance(900);
    tokens.expire("run-1");
    c.advance(100);
    expect(tokens.verify(token)).toBeNull();
  });

  it("re-issuing for a run invalidates its earlier token", () => {
    const tokens = createRunTokens();
    const first = tokens.issue("run-1");
    const second = tokens.issue("run-1");
    expect(tokens.verify(first)).toBeNull();
    expect(tokens.verify(second)).toBe("run-1");
    expect(tokens.size()).toBe(1);
  });

  it("expired entries are swept so the map does not grow", () => {
    const c = clock();
    const tokens = createRunTokens({ now: c.now, graceMs: 10 });
    for (let i = 0; i < 100; i++) {
      tokens.issue(`run-${i}`);
      tokens.expire(`run-${i}`);
    }
    c.advance(10);
    expect(tokens.size()).toBe(0);
  });
});
