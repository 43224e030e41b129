// Authentication of REST (JWT / installation token) and git (HTTP Basic) requests.
import { verify, type KeyObject } from "node:crypto";
import type { Store } from "./state.ts";
import type { AccessLevel, IssuedToken } from "./types.ts";

export type AuthResult =
  | { kind: "none" }
  | { kind: "jwt"; appId: string }
  | { kind: "installation"; token: IssuedToken }
  | { kind: "invalid"; reason: string; scheme: "jwt" | "token" | "basic" | "unknown" };

function b64urlJson(part: string): unknown {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

/** Verifies an RS256 app JWT the way GitHub does (signature, iss, iat/exp window). */
export function verifyJwt(jwt: string, publicKey: KeyObject, appId: number, nowMs = Date.now()): { ok: true } | { ok: false; reason: string } {
  const parts = jwt.split(".");
  if (parts.length !== 3) return { ok: false, reason: "JWT is not three dot-separated parts" };
  const [h = "", p = "", s = ""] = parts;
  let header: unknown;
  let payload: unknown;
  try {
    header = b64urlJson(h);
    payload = b64urlJson(p);
  } catch {
    return { ok: false, reason: "JWT could not be decoded" };
  }
  if (typeof header !== "object" || header === null || (header as { alg?: unknown }).alg !== "RS256") {
    return { ok: false, reason: "JWT alg must be RS256" };
  }
  const sigOk = verify("sha256", Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, "base64url"));
  if (!sigOk) return { ok: false, reason: "JWT signature does not verify against the app's public key" };
  const claims = (typeof payload === "object" && payload !== null ? payload : {}) as { iss?: unknown; iat?: unknown; exp?: unknown };
  if (String(claims.iss) !== String(appId)) return { ok: false, reason: `JWT iss ${String(claims.iss)} != app id ${appId}` };
  const now = Math.floor(nowMs / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= now) return { ok: false, reason: "JWT expired ('exp' is in the past)" };
  if (typeof claims.iat !== "number" || claims.iat > now + 60) return { ok: false, reason: "JWT 'iat' is too far in the future" };
  if (claims.exp - now > 10 * 60 + 60) return { ok: false, reason: "JWT 'exp' is too far in the future (max 10 minutes)" };
  return { ok: true };
}

export function tokenProblem(t: IssuedToken | undefined, nowMs = Date.now()): { kind: "invalid" | "expired" | "revoked"; reason: string } | null {
  if (!t) return { kind: "invalid", reason: "token was not issued by this fake" };
  if (t.revoked) return { kind: "revoked", reason: "token was revoked" };
  if (Date.parse(t.expiresAt) <= nowMs) return { kind: "expired", reason: `token expired at ${t.expiresAt}` };
  return null;
}

/** Classifies the Authorization header of a REST request. */
export function authenticateRest(header: string | undefined, store: Store, publicKey: KeyObject): AuthResult {
  if (!header) return { kind: "none" };
  const m = /^(\S+)\s+(\S+)\s*$/.exec(header);
  if (!m) return { kind: "invalid", reason: "malformed Authorization header", scheme: "unknown" };
  const scheme = (m[1] ?? "").toLowerCase();
  const credential = m[2] ?? "";
  if (scheme !== "bearer" && scheme !== "token") {
    return { kind: "invalid", reason: `unsupported Authorization scheme ${m[1]}`, scheme: "unknown" };
  }
  if (credential.split(".").length === 3 && credential.startsWith("ey")) {
    if (scheme !== "bearer") return { kind: "invalid", reason: "a JWT must be sent as 'Bearer'", scheme: "jwt" };
    const v = verifyJwt(credential, publicKey, store.app.id);
    return v.ok ? { kind: "jwt", appId: String(store.app.id) } : { kind: "invalid", reason: v.reason, scheme: "jwt" };
  }
  const t = store.findToken(credential);
  const problem = tokenProblem(t);
  if (problem || !t) return { kind: "invalid", reason: problem?.reason ?? "unknown token", scheme: "token" };
  return { kind: "installation", token: t };
}

/** A token reaches only its installation's repositories, and of those only the ones it was scoped to. */
export function coversRepo(t: IssuedToken, repo: { fullName: string; installationId: number }): boolean {
  if (t.installationId !== repo.installationId) return false;
  return t.repositories === null || t.repositories.some((r) => r.toLowerCase() === repo.fullName.toLowerCase());
}

/** Why a token does not reach a repository, for `unexpected` / `gitDenied`. */
export function scopeProblem(t: IssuedToken, repo: { fullName: string; installationId: number }): string {
  if (t.installationId !== repo.installationId) {
    return `token of installation ${t.installationId}, ${repo.fullName} belongs to installation ${repo.installationId}`;
  }
  return `token not scoped to ${repo.fullName} (covers ${t.repositories?.join(", ")})`;
}

const LEVEL: Record<string, number> = { none: 0, read: 1, write: 2, admin: 3 };

export function hasPermission(t: IssuedToken, name: string, level: AccessLevel): boolean {
  return (LEVEL[t.permissions[name] ?? "none"] ?? 0) >= (LEVEL[level] ?? 9);
}

/** Parses HTTP Basic credentials; the token may be the password (x-access-token:TOKEN) or the username (TOKEN:). */
export function basicToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^basic\s+(\S+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1] ?? "", "base64").toString("utf8");
  const idx = decoded.indexOf(":");
  const user = idx >= 0 ? decoded.slice(0, idx) : decoded;
  const pass = idx >= 0 ? decoded.slice(idx + 1) : "";
  if (pass && pass !== "x-oauth-basic") return pass;
  return user || null;
}
