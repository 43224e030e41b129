import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Logger } from "pino";

/**
 * What the webhook path refuses before Probot reads or verifies anything: bodies over GitHub's
 * 25 MB webhook maximum (413; a declared Content-Length is refused up front, a chunked body as soon
 * as it grows past the limit, and no more of it is read) and event names that are not GitHub event
 * names (400: `__proto__` and friends). With the secret, a missing or wrong X-Hub-Signature-256 is
 * refused here too (400, one warning line): Probot would log two errors with stacks for it. The
 * body that passes is handed to Probot as `req.body` (Probot verifies it again).
 */

/** GitHub caps webhook payloads at 25 MB and does not deliver larger ones. */
export const WEBHOOK_MAX_BYTES = 25 * 1024 * 1024;

/** GitHub's event names: lower-case words joined by underscores. */
export function isEventName(name: string | undefined): boolean {
  return name === undefined || /^[a-z][a-z_]{0,63}$/.test(name);
}

export type BodyVerdict = { ok: true } | { ok: false; status: 400 | 413; message: string };

/** The decision on a request's headers alone. Pure. */
export function checkWebhookHeaders(headers: { contentLength?: string | undefined; event?: string | undefined }, maxBytes = WEBHOOK_MAX_BYTES): BodyVerdict {
  if (!isEventName(headers.event)) return { ok: false, status: 400, message: `"${String(headers.event).slice(0, 64)}" is not a GitHub event name (X-GitHub-Event).` };
  const declared = headers.contentLength === undefined ? NaN : Number(headers.contentLength);
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, status: 413, message: tooLarge(maxBytes) };
  return { ok: true };
}

/** Whether `signature` is GitHub's sha256 HMAC of the body with the secret. Pure. */
export function signatureMatches(secret: string, body: Buffer, signature: string | undefined): boolean {
  if (!signature?.startsWith("sha256=")) return false;
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const tooLarge = (maxBytes: number) => `The webhook body is larger than GitHub's ${maxBytes / 1024 / 1024} MB maximum (${maxBytes} bytes); it was not read.`;

function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", connection: "close" });
  // Stop reading, answer, then close: the sender sees the 413 before the connection goes.
  req.pause();
  res.end(`${JSON.stringify({ error: message })}\n`, () => {
    req.socket.end();
    setTimeout(() => req.destroy(), 1000).unref();
  });
}

/**
 * Puts the check in front of the server's existing request listeners (Probot's): requests to
 * other paths pass straight through; webhook POSTs reach Probot only with a body within the limit.
 */
export function guardWebhookBodies(server: Server, options: { path: string; log: Logger; maxBytes?: number; secret?: string }): void {
  const maxBytes = options.maxBytes ?? WEBHOOK_MAX_BYTES;
  const listeners = server.listeners("request") as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners("request");
  const pass = (req: IncomingMessage, res: ServerResponse) => {
    for (const listener of listeners) listener.call(server, req, res);
  };
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "POST" || path !== options.path) return pass(req, res);
    const verdict = checkWebhookHeaders({ contentLength: req.headers["content-length"], event: header(req, "x-github-event") }, maxBytes);
    if (!verdict.ok) {
      options.log.warn({ status: verdict.status, contentLength: req.headers["content-length"], from: req.socket.remoteAddress }, `webhook refused before reading: ${verdict.message}`);
      return refuse(req, res, verdict.status, verdict.message);
    }
    const parts: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > maxBytes) {
        refused = true;
        options.log.warn({ from: req.socket.remoteAddress }, "webhook refused: the body grew past GitHub's maximum");
        return refuse(req, res, 413, tooLarge(maxBytes).replace("it was not read", "the rest was not read"));
      }
      parts.push(chunk);
    });
    req.on("end", () => {
      if (refused) return;
      const body = Buffer.concat(parts);
      if (options.secret !== undefined && !signatureMatches(options.secret, body, header(req, "x-hub-signature-256"))) {
        const signed = header(req, "x-hub-signature-256") !== undefined;
        options.log.warn(
          { delivery: header(req, "x-github-delivery")?.slice(0, 100), event: header(req, "x-github-event"), from: req.socket.remoteAddress },
          signed
            ? "webhook refused: its X-Hub-Signature-256 does not match the body (not from GitHub, or WEBHOOK_SECRET differs from the App's webhook secret)"
            : "webhook refused: it has no X-Hub-Signature-256 (not from GitHub, or the App has no webhook secret set)",
        );
        return refuse(req, res, 400, signed ? "signature does not match event payload and secret" : "Required headers missing: x-hub-signature-256");
      }
      // @octokit/webhooks takes a string req.body as the raw payload instead of reading the stream.
      (req as IncomingMessage & { body?: string }).body = body.toString("utf8");
      pass(req, res);
    });
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
