/**
 * Per-run model gateway tokens.
 *
 * Each run gets one random token (32 bytes = 256 bits, base64url, prefixed `csbgw_` so secret
 * scanners and humans recognise it). Only its SHA-256 hash is kept, bound to the run id, so a
 * dump of this map does not hand out working credentials. Lookup is a Map keyed on the hash:
 * the presented token is hashed and the digest looked up, so the time taken does not depend on
 * how much of a stored token the presented one matches (no string comparison of secrets).
 *
 * In memory for now: a token is valid only in the process that issued it. With several web
 * processes behind a load balancer the Store must hold these hashes instead (same interface).
 */
import { createHash, randomBytes } from "node:crypto";

export const RUN_TOKEN_PREFIX = "csbgw_";

/** How long a token stays valid after expire() marks its run as ended (late requests, final writes). */
export const DEFAULT_GRACE_MS = 60_000;

export interface RunTokens {
  /** A fresh token for the run; any earlier token of that run stops working. */
  issue(runId: string): string;
  /** The run id the token belongs to, or null when it is unknown, revoked or expired. */
  verify(token: string): string | null;
  /** The run has ended normally: its token works for the grace period, then never again. */
  expire(runId: string): void;
  /** Cancel, stop, failure: the token stops working now. */
  revoke(runId: string): void;
  /** Number of live entries (for tests and metrics). */
  size(): number;
}

interface Entry {
  runId: string;
  /** Epoch ms after which the token is refused; undefined while the run is going. */
  expiresAt: number | undefined;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function createRunTokens(deps: { now?: () => number; graceMs?: number; random?: (n: number) => Buffer } = {}): RunTokens {
  const now = deps.now ?? Date.now;
  const graceMs = deps.graceMs ?? DEFAULT_GRACE_MS;
  const random = deps.random ?? randomBytes;
  const byHash = new Map<string, Entry>();
  const hashByRun = new Map<string, string>();

  function drop(runId: string): void {
    const hash = hashByRun.get(runId);
    if (hash !== undefined) byHash.delete(hash);
    hashByRun.delete(runId);
  }

  function sweep(): void {
    const t = now();
    for (const [hash, entry] of byHash) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= t) {
        byHash.delete(hash);
        hashByRun.delete(entry.runId);
      }
    }
  }

  return {
    issue(runId) {
      if (runId === "") throw new Error("run-tokens: issue() needs a run id");
      sweep();
      drop(runId);
      const token = RUN_TOKEN_PREFIX + random(32).toString("base64url");
      const hash = hashToken(token);
      byHash.set(hash, { runId, expiresAt: undefined });
      hashByRun.set(runId, hash);
      return token;
    },
    verify(token) {
      if (typeof token !== "string" || !token.startsWith(RUN_TOKEN_PREFIX)) return null;
      const entry = byHash.get(hashToken(token));
      if (entry === undefined) return null;
      if (entry.expiresAt !== undefined && entry.expiresAt <= now()) {
        drop(entry.runId);
        return null;
      }
      return entry.runId;
    },
    expire(runId) {
      const hash = hashByRun.get(runId);
      const entry = hash === undefined ? undefined : byHash.get(hash);
      if (entry === undefined) return;
      const at = now() + graceMs;
      entry.expiresAt = entry.expiresAt === undefined ? at : Math.min(entry.expiresAt, at);
    },
    revoke(runId) {
      drop(runId);
    },
    size() {
      sweep();
      return byHash.size;
    },
  };
}
