import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { bearerToken, createAdminAuth, SESSION_TTL_MS, sessionCookie, sessionValue, tokensEqual, verifySession } from "../../src/web/admin-auth.ts";
import { parseCookies } from "../../src/web/http.ts";
import { matchPath, parseRunId, safeNext } from "../../src/web/routes.ts";

const TOKEN = "admin-token-0123456789abcdef";
const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe("admin token check", () => {
  it("compares tokens of any length without throwing", () => {
    expect(tokensEqual(TOKEN, TOKEN)).toBe(true);
    expect(tokensEqual(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(tokensEqual("", TOKEN)).toBe(false);
    expect(tokensEqual("short", TOKEN)).toBe(false);
  });

  it("reads a bearer token only from a well-formed header", () => {
    expect(bearerToken(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerToken(`bearer   ${TOKEN} `)).toBe(TOKEN);
    expect(bearerToken(`Basic ${TOKEN}`)).toBeNull();
    expect(bearerToken("Bearer")).toBeNull();
    expect(bearerToken("Bearer a b")).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it("session values hold an expiry and an HMAC keyed by the token, never the token", () => {
    const value = sessionValue(TOKEN, 2_000);
    expect(value).toMatch(/^2000\.[\w-]{43}$/);
    expect(value).not.toContain(TOKEN);
    expect(verifySession(TOKEN, value, 1_999)).toBe(true);
    expect(verifySession(TOKEN, value, 2_000)).toBe(false);
    expect(verifySession("another-admin-token-0123456789", value, 1_000)).toBe(false);
    expect(verifySession(TOKEN, value.replace(/^2000/, "9999"), 1_000)).toBe(false);
    expect(verifySession(TOKEN, `${value}x`, 1_000)).toBe(false);
    expect(verifySession(TOKEN, undefined, 1_000)).toBe(false);
  });

  it("the cookie is HttpOnly and SameSite=Strict, Secure over https", () => {
    expect(sessionCookie("v", { secure: false, maxAgeMs: 60_000 })).toBe("csb_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60");
    expect(sessionCookie("v", { secure: true, maxAgeMs: 60_000 })).toMatch(/; Secure$/);
    expect(parseCookies("a=1; csb_session=abc.def; b=2")).toEqual(new Map([["a", "1"], ["csb_session", "abc.def"], ["b", "2"]]));
  });

  it("the dashboard takes the bearer header or a valid session; the API only the bearer header", () => {
    let now = 1_000;
    const seen: Array<[string, number]> = [];
    const auth = createAdminAuth({ token: TOKEN, now: () => now, onCredential: (value, ttl) => seen.push([value, ttl]) });
    const cookie = auth.newSessionCookie(false);
    const value = /csb_session=([^;]+)/.exec(cookie)![1]!;
    expect(seen).toEqual([[value, SESSION_TTL_MS]]);

    expect(auth.checkDashboard(request({ cookie: `csb_session=${value}` }))).toEqual({ ok: true, via: "session" });
    expect(auth.checkBearer(request({ cookie: `csb_session=${value}` }))).toEqual({ ok: false, reason: "missing" });
    expect(auth.checkBearer(request({ authorization: `Bearer ${TOKEN}` }))).toEqual({ ok: true, via: "bearer" });
    expect(auth.checkDashboard(request({ authorization: `Bearer ${TOKEN}` }))).toEqual({ ok: true, via: "bearer" });
    expect(auth.checkDashboard(request({ authorization: "Bearer wrong-wrong-wrong" }))).toEqual({ ok: false, reason: "wrong" });
    expect(auth.checkDashboard(request({ cookie: "csb_session=1.forged" }))).toEqual({ ok: false, reason: "wrong" });
    expect(auth.checkDashboard(request({}))).toEqual({ ok: false, reason: "missing" });
    expect(auth.checkToken(` ${TOKEN}\n`)).toBe(true);
    expect(auth.checkToken("nope")).toBe(false);

    now += SESSION_TTL_MS + 1;
    expect(auth.checkDashboard(request({ cookie: `csb_session=${value}` }))).toEqual({ ok: false, reason: "wrong" });
  });
});

describe("routes", () => {
  it("matches paths with parameters", () => {
    expect(matchPath("/dashboard/runs/:id/events", "/dashboard/runs/12/events")).toEqual({ id: "12" });
    expect(matchPath("/dashboard/runs/:id", "/dashboard/runs/12/")).toEqual({ id: "12" });
    expect(matchPath("/dashboard/runs/:id", "/dashboard/runs/12/events")).toBeNull();
    expect(matchPath("/dashboard/runs/:id", "/dashboard/runs/")).toBeNull();
  });

  it("run ids are positive whole numbers", () => {
    expect(parseRunId("42")).toBe(42);
    for (const bad of ["0", "-1", "1.5", "abc", "", undefined, "1e3", "9".repeat(20)]) expect(parseRunId(bad)).toBeNull();
  });

  it("after sign-in, only goes to dashboard paths", () => {
    expect(safeNext("/dashboard/runs/3")).toBe("/dashboard/runs/3");
    expect(safeNext("/dashboard?state=failed")).toBe("/dashboard?state=failed");
    for (const bad of ["https://evil.example", "//evil.example", "/login", "/dashboard\\@evil", null, undefined, ""]) expect(safeNext(bad)).toBe("/dashboard");
  });
});
