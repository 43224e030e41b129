/**
 * The model gateway's HTTP handler: an Anthropic Messages pass-through at `<mount>/v1/messages`
 * (and count_tokens) that takes a per-run token from the sandbox and calls the real upstream with
 * the deployment's credential, so that credential never has to be inside a sandbox.
 *
 * Order of checks, all before any upstream call: path (404), method (405), run token (401),
 * body size (413), admit hook (the hard cap; refusal as the hook says). The response is piped
 * back chunk by chunk as it arrives and each chunk is also fed to the usage meter; at the end
 * onUsage(grant, …) gets the figures.
 */
import http from "node:http";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { RunGrant } from "../store/gateway-ledger.ts";
import type { RunTokens } from "./run-tokens.ts";
import { meterFor, type RequestUsage } from "./usage.ts";

export type UpstreamCredential = { kind: "api-key"; value: string } | { kind: "oauth"; value: string };

/** The hard-cap decision for one request: let it through, or answer with this Anthropic-style error. */
/** A refusal is answered as it says; an admitted request may hold a slot (`done` is called once it has ended). */
export type Admission = { ok: true; done?: () => void } | { ok: false; status: number; type: string; message: string };

export interface GatewayUsage extends RequestUsage {
  /** Upstream path without the mount, e.g. "/v1/messages". */
  path: string;
  /** HTTP status the upstream answered (0 when it could not be reached). */
  status: number;
  /** Time from our upstream request to its response headers. */
  ttfbMs: number;
  durationMs: number;
  /** True when the client went away or the upstream broke off before the body ended. */
  aborted: boolean;
}

export interface ModelGatewayOptions {
  /** The real Messages API, e.g. https://api.anthropic.com (the deployment's ANTHROPIC_BASE_URL). */
  upstreamBaseUrl: string;
  credential: UpstreamCredential;
  tokens: Pick<RunTokens, "verify">;
  log: Logger;
  /** Where the handler is mounted in the bot's server (default "/model"). */
  mountPath?: string;
  /** Request bodies over this many bytes get 413 (default 32 MiB). */
  maxBodyBytes?: number;
  admit?: (grant: RunGrant, path: string) => Admission | Promise<Admission>;
  onUsage?: (grant: RunGrant, usage: GatewayUsage) => void;
  /** No upstream response headers within this long → 504 (default 10 min; streams can think for long). */
  upstreamTimeoutMs?: number;
  now?: () => number;
}

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/** The upstream paths the gateway serves: the ones Claude Code calls (recorded with the pinned CLI). */
/** Every path the pinned Claude Code CLI calls on its model API (recorded: test/unit/gateway-proxy.test.ts). */
export const SERVED_PATHS: ReadonlySet<string> = new Set(["/v1/messages", "/v1/messages/count_tokens"]);
const METERED_PATHS = new Set(["/v1/messages"]);

/**
 * Request headers passed to the upstream. Everything else is dropped: x-api-key and
 * authorization carry our run token, host/connection/content-length are per hop, and
 * accept-encoding is left out so the upstream answers uncompressed and the meter can read it.
 */
const FORWARDED_REQUEST_HEADERS = new Set([
  "anthropic-version",
  "anthropic-beta",
  "anthropic-dangerous-direct-browser-access",
  "content-type",
  "content-encoding",
  "accept",
  "user-agent",
  "x-app",
  "x-claude-code-session-id",
]);

/** Response headers not passed back (per hop, or recomputed by our server). */
const DROPPED_RESPONSE_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "set-cookie"]);

function anthropicError(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ type: "error", error: { type, message } }));
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The token the client presented: x-api-key, else `Authorization: Bearer …`. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const apiKey = first(req.headers["x-api-key"])?.trim();
  if (apiKey) return apiKey;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(first(req.headers.authorization) ?? "");
  return m?.[1];
}

class TooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(first(req.headers["content-length"]));
    if (Number.isFinite(declared) && declared > max) return reject(new TooLarge());
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.pause();
        reject(new TooLarge());
        return;
      }
      parts.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

export function createModelGateway(opts: ModelGatewayOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const mount = (opts.mountPath ?? "/model").replace(/\/+$/, "");
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const now = opts.now ?? Date.now;
  const upstream = new URL(opts.upstreamBaseUrl);
  const upstreamPrefix = upstream.pathname.replace(/\/+$/, "");
  const client = upstream.protocol === "https:" ? https : http;
  const log = opts.log.child({ name: "model-gateway" });

  /** The served path and query under the mount, or null (after answering) when the request is not one the gateway serves. */
  const route = (req: IncomingMessage, res: ServerResponse): { path: string; query: string } | null => {
    const rest = (req.url ?? "/").slice(mount.length) || "/";
    const q = rest.indexOf("?");
    const path = (q === -1 ? rest : rest.slice(0, q)).replace(/\/+$/, "");
    if (!SERVED_PATHS.has(path)) {
      anthropicError(res, 404, "not_found_error", `The model gateway does not serve ${path || "/"}; it serves ${[...SERVED_PATHS].join(" and ")}.`);
      return null;
    }
    if (req.method !== "POST") {
      anthropicError(res, 405, "invalid_request_error", `Use POST for ${path}.`, { allow: "POST" });
      return null;
    }
    return { path, query: q === -1 ? "" : rest.slice(q) };
  };

  /** What the request's token grants, or null (after answering 401: no upstream call, no body read). */
  const authenticate = async (req: IncomingMessage, res: ServerResponse): Promise<RunGrant | null> => {
    const token = presentedToken(req);
    const grant = token === undefined ? null : await opts.tokens.verify(token);
    if (grant !== null) return grant;
    anthropicError(res, 401, "authentication_error", token === undefined
      ? "No run token: send the run's gateway token as x-api-key or Authorization: Bearer."
      : "This gateway token is not valid: it is unknown, expired (the run ended) or revoked.");
    req.resume();
    return null;
  };

  /** The body, or null (after answering 413, or dropping a broken connection). */
  const body = async (req: IncomingMessage, res: ServerResponse): Promise<Buffer | null> => {
    try {
      return await readBody(req, maxBody);
    } catch (err) {
      if (err instanceof TooLarge) {
        anthropicError(res, 413, "request_too_large", `Request body is over the gateway's limit of ${maxBody} bytes.`, { connection: "close" });
        req.destroy();
      } else {
        res.destroy();
      }
      return null;
    }
  };

  /** Whether the run may make this request (its caps); a refusal is answered here. */
  const admitted = async (grant: RunGrant, path: string, res: ServerResponse): Promise<Admission> => {
    if (!opts.admit) return { ok: true };
    let admission: Admission;
    try {
      admission = await opts.admit(grant, path);
    } catch (err) {
      log.error({ err, runId: grant.runId }, "model gateway: admit() failed; refusing the request");
      admission = { ok: false, status: 500, type: "api_error", message: "The gateway could not check this run's budget." };
    }
    if (admission.ok) return admission;
    // x-should-retry: false tells the Anthropic SDK in the CLI not to retry this answer (a 429 may be retried).
    anthropicError(res, admission.status, admission.type, admission.message, admission.status === 429 ? { "retry-after": "1" } : { "x-should-retry": "false" });
    return admission;
  };

  const forward = forwarder({ ...opts, upstream, upstreamPrefix, client, now, log });

  return async function handle(req, res) {
    const url = req.url ?? "/";
    if (url !== mount && !url.startsWith(`${mount}/`) && !url.startsWith(`${mount}?`)) return false;
    const target = route(req, res);
    const grant = target && (await authenticate(req, res));
    if (!target || !grant) return true;
    const payload = await body(req, res);
    if (!payload) return true;
    const admission = await admitted(grant, target.path, res);
    if (!admission.ok) return true;
    try {
      await forward(req, res, { grant, ...target, body: payload });
    } finally {
      admission.done?.();
    }
    return true;
  };
}

interface ForwarderOptions extends ModelGatewayOptions {
  upstream: URL;
  upstreamPrefix: string;
  client: typeof http | typeof https;
  now: () => number;
  log: Logger;
}

interface Forwarded {
  grant: RunGrant;
  path: string;
  query: string;
  body: Buffer;
}

/** Sends the request upstream with the deployment's credential and streams the answer back chunk by chunk, metering it. */
function forwarder(o: ForwarderOptions) {
  const upstreamHeaders = (req: IncomingMessage, body: Buffer): Record<string, string | string[]> => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && FORWARDED_REQUEST_HEADERS.has(name)) headers[name] = value;
    }
    if (o.credential.kind === "api-key") headers["x-api-key"] = o.credential.value;
    else headers.authorization = `Bearer ${o.credential.value}`;
    headers["content-length"] = String(body.length);
    headers["accept-encoding"] = "identity";
    return headers;
  };

  return (req: IncomingMessage, res: ServerResponse, f: Forwarded): Promise<void> =>
    new Promise<void>((resolve) => {
      const started = o.now();
      const metered = METERED_PATHS.has(f.path);
      let ttfbMs = 0;
      let status = 0;
      let settled = false;
      let meter: ReturnType<typeof meterFor> | undefined;
      const finish = (aborted: boolean) => {
        if (settled) return;
        settled = true;
        if (metered && o.onUsage && meter) {
          try {
            o.onUsage(f.grant, { ...meter.end(), path: f.path, status, ttfbMs, durationMs: o.now() - started, aborted });
          } catch (err) {
            o.log.error({ err, runId: f.grant.runId }, "model gateway: onUsage() failed");
          }
        }
        resolve();
      };
      const up = o.client.request(
        {
          protocol: o.upstream.protocol,
          hostname: o.upstream.hostname,
          port: o.upstream.port || undefined,
          method: "POST",
          path: `${o.upstreamPrefix}${f.path}${f.query}`,
          headers: upstreamHeaders(req, f.body),
          timeout: o.upstreamTimeoutMs ?? 600_000,
        },
        (upRes) => {
          ttfbMs = o.now() - started;
          status = upRes.statusCode ?? 502;
          meter = meterFor(first(upRes.headers["content-type"]));
          relay(upRes, res, meter, finish);
        },
      );
      up.on("timeout", () => up.destroy(new Error("upstream timed out")));
      up.on("error", (err) => {
        if (!res.headersSent) {
          o.log.warn({ err: err.message, runId: f.grant.runId, path: f.path }, "model gateway: upstream unreachable");
          anthropicError(res, 502, "api_error", "The model gateway could not reach the model API; try again.");
        } else {
          res.destroy();
        }
        finish(true);
      });
      res.on("close", () => {
        if (!res.writableFinished) {
          up.destroy();
          finish(true);
        }
      });
      up.end(f.body);
    });
}

/** The upstream's answer to the client as it arrives: headers at once, then each chunk (metered), with backpressure. */
function relay(upRes: IncomingMessage, res: ServerResponse, meter: ReturnType<typeof meterFor>, finish: (aborted: boolean) => void): void {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upRes.headers)) {
    if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name)) out[name] = value;
  }
  res.writeHead(upRes.statusCode ?? 502, out);
  // Headers go out now, so the client sees the stream start as soon as the upstream's does.
  res.flushHeaders();
  upRes.on("data", (chunk: Buffer) => {
    meter.write(chunk);
    // Backpressure: a slow client slows the upstream read instead of growing our buffers.
    if (!res.write(chunk)) {
      upRes.pause();
      res.once("drain", () => upRes.resume());
    }
  });
  upRes.on("end", () => {
    res.end();
    finish(false);
  });
  const broken = () => {
    res.destroy();
    finish(true);
  };
  upRes.on("error", broken);
  upRes.on("aborted", broken);
}

/**
 * The refusal for a run over its cap. 402 billing_error makes Claude Code 2.1.330 stop at once
 * (one request, then an error result); a 400 invalid_request_error was sent again five more times
 * by the same CLI before it gave up (measured through this handler on 2026-12-03; the 402 case is
 * test/unit/gateway-proxy.test.ts).
 */
export function budgetRefusal(message: string): Admission {
  return { ok: false, status: 402, type: "billing_error", message };
}
