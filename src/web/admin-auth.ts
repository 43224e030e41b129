import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { headerValue, parseCookies } from "./http.ts";

/**
 * Who may use the dashboard and the run API: whoever holds ADMIN_TOKEN. The API takes it as
 * `Authorization: Bearer`; the dashboard also takes a session cookie set by the login form. The
 * cookie holds an expiry and an HMAC of it keyed by the token (never the token), so changing
 * ADMIN_TOKEN ends every session. Comparisons are constant-time. Pure apart from the clock.
 */

export const SESSION_COOKIE = "csb_session";
export const SESSION_TTL_MS = 12 * 60 * 60_000;

/** Constant-time equality of two strings of any length (both are hashed first). */
export function tokensEqual(candidate: string, expected: string): boolean {
  const a = createHash("sha256").update(candidate, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}

const sign = (token: string, expiresAt: number) => createHmac("sha256", token).update(`claude-sandbox-bot dashboard session until ${expiresAt}`).digest("base64url");

/** A session value valid until expiresAt (ms since the epoch). */
export function sessionValue(token: string, expiresAt: number): string {
  return `${expiresAt}.${sign(token, expiresAt)}`;
}

export function verifySession(token: string, value: string | undefined, now: number): boolean {
  const match = /^(\d{1,16})\.([\w-]{43})$/.exec(value ?? "");
  if (!match) return false;
  const expiresAt = Number(match[1]);
  // Compare first, so a wrong value and an expired one take the same time.
  const valid = tokensEqual(match[2]!, sign(token, expiresAt));
  return valid && expiresAt > now;
}

export function sessionCookie(value: string, options: { secure: boolean; maxAgeMs: number }): string {
  const parts = [`${SESSION_COOKIE}=${value}`, "Path=/", "HttpOnly", "SameSite=Strict", `Max-Age=${Math.max(0, Math.floor(options.maxAgeMs / 1000))}`];
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie("", { secure, maxAgeMs: 0 });
}

export type AuthResult = { ok: true; via: "bearer" | "session" } | { ok: false; reason: "missing" | "wrong" };

export interface AdminAuth {
  /** Bearer only (the run API). */
  checkBearer(req: IncomingMessage): AuthResult;
  /** Bearer or the session cookie (the dashboard). */
  checkDashboard(req: IncomingMessage): AuthResult;
  /** Whether a token typed into the login form is the admin token. */
  checkToken(candidate: string): boolean;
  /** A new session's Set-Cookie value. */
  newSessionCookie(secure: boolean): string;
}

export interface AdminAuthOptions {
  token: string;
  now?: () => number;
  /** Told about every credential that authenticated a request, so the log stream can hide it. */
  onCredential?: (value: string, ttlMs: number) => void;
}

export function createAdminAuth({ token, now = Date.now, onCredential }: AdminAuthOptions): AdminAuth {
  const checkBearer = (req: IncomingMessage): AuthResult => {
    const candidate = bearerToken(headerValue(req, "authorization"));
    if (candidate === null) return { ok: false, reason: "missing" };
    return tokensEqual(candidate, token) ? { ok: true, via: "bearer" } : { ok: false, reason: "wrong" };
  };
  return {
    checkBearer,
    checkDashboard(req) {
      if (headerValue(req, "authorization") !== undefined) return checkBearer(req);
      const value = parseCookies(headerValue(req, "cookie")).get(SESSION_COOKIE);
      if (value === undefined) return { ok: false, reason: "missing" };
      if (!verifySession(token, value, now())) return { ok: false, reason: "wrong" };
      onCredential?.(value, SESSION_TTL_MS);
      return { ok: true, via: "session" };
    },
    checkToken: (candidate) => tokensEqual(candidate.trim(), token),
    newSessionCookie(secure) {
      const value = sessionValue(token, now() + SESSION_TTL_MS);
      onCredential?.(value, SESSION_TTL_MS);
      return sessionCookie(value, { secure, maxAgeMs: SESSION_TTL_MS });
    },
  };
}
