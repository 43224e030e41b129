import type { IncomingMessage, ServerResponse } from "node:http";
import type { SafeHtml } from "./html.ts";
import { ApiError } from "./start-run.ts";

/** Small request/response helpers for the handlers in src/web. */

export type Handler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export function requestUrl(req: IncomingMessage): URL {
  // Only the path and query are used; the base is a placeholder.
  return new URL(req.url ?? "/", "http://localhost");
}

/** The bot's own origin as the client reached it (behind a proxy: X-Forwarded-Proto/Host). */
export function originOf(req: IncomingMessage): string {
  const forwardedProto = headerValue(req, "x-forwarded-proto")?.split(",")[0]?.trim();
  const proto = forwardedProto === "https" || forwardedProto === "http" ? forwardedProto : (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
  const host = headerValue(req, "x-forwarded-host")?.split(",")[0]?.trim() || headerValue(req, "host") || "localhost";
  return `${proto}://${host}`;
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
} as const;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): true {
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": "application/json; charset=utf-8", ...headers });
  res.end(`${JSON.stringify(body)}\n`);
  return true;
}

export function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): true {
  return sendJson(res, status, { error: message }, headers);
}

export function sendHtml(res: ServerResponse, status: number, page: SafeHtml, options: { nonce?: string; headers?: Record<string, string> } = {}): true {
  const script = options.nonce ? `'nonce-${options.nonce}'` : "'none'";
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": `default-src 'none'; style-src 'unsafe-inline'; script-src ${script}; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    "x-frame-options": "DENY",
    ...options.headers,
  });
  res.end(`<!doctype html>\n${page.value}`);
  return true;
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = "text/plain; charset=utf-8", headers: Record<string, string> = {}): true {
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": contentType, ...headers });
  res.end(text);
  return true;
}

/** 303 See Other: after a form POST, the browser GETs `location`. */
export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): true {
  res.writeHead(303, { ...SECURITY_HEADERS, location, ...headers });
  res.end();
  return true;
}

/** A request body we refuse (too large, not JSON): answered with its status. */
export class BodyError extends ApiError {
  override name = "BodyError";
}

/** The request body as text, refusing more than maxBytes (413): a larger Content-Length before reading, a longer stream as soon as it passes the limit. */
export async function readBody(req: IncomingMessage, maxBytes = 262_144): Promise<string> {
  const declared = Number(headerValue(req, "content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) throw new BodyError(413, `The request body is larger than ${maxBytes} bytes.`);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyError(413, `The request body is larger than ${maxBytes} bytes.`);
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString("utf8");
}

export async function readJson(req: IncomingMessage, maxBytes?: number): Promise<unknown> {
  const text = await readBody(req, maxBytes);
  if (!text.trim()) throw new BodyError(400, "The request body is empty: send a JSON object.");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BodyError(400, `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

export async function readForm(req: IncomingMessage, maxBytes = 16_384): Promise<URLSearchParams> {
  return new URLSearchParams(await readBody(req, maxBytes));
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}
