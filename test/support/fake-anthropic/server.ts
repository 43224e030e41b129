/**
 * A scripted fake of the Anthropic Messages API that the real Claude Code CLI
 * can be pointed at with ANTHROPIC_BASE_URL.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import { classify, isMessagesPath, lastUserText, toolResults } from "./classify.ts";
import { sequence } from "./script.ts";
import { buildMessage, estimateTokens, formatSse, messageToSseEvents, randomId } from "./sse.ts";
import type {
  AgentRequest,
  FakeAnthropic,
  FakeAnthropicOptions,
  RecordedRequest,
  Reply,
  Script,
} from "./types.ts";

/** A value that satisfies a (simple) JSON schema: what a helper asking for structured output gets. */
export function sampleForSchema(schema: any, depth = 0): unknown {
  if (!schema || typeof schema !== "object" || depth > 6) return null;
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants) && variants.length > 0) return sampleForSchema(variants[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      const props = schema.properties ?? {};
      const required: string[] = Array.isArray(schema.required) ? schema.required : Object.keys(props);
      for (const key of required) out[key] = sampleForSchema(props[key] ?? {}, depth + 1);
      return out;
    }
    case "array":
      return [];
    case "string":
      return "Fake";
    case "number":
    case "integer":
      return 0;
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return schema.properties ? sampleForSchema({ ...schema, type: "object" }, depth) : "Fake";
  }
}

/**
 * What side requests (titles, helper calls…) get unless `sideReply` says otherwise:
 * JSON matching the requested schema when the request asks for structured
 * output (output_config.format / output_format of type json_schema), else "OK".
 */
export function defaultSideReply(req?: RecordedRequest): Reply {
  const format = req?.body?.output_config?.format ?? req?.body?.output_format;
  const text = format?.type === "json_schema" ? JSON.stringify(sampleForSchema(format.schema)) : "OK";
  return { content: [{ type: "text", text }], stopReason: "end_turn" };
}

class ClientGone extends Error {}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
    req.on("aborted", () => reject(new ClientGone("request aborted")));
  });
}

function decode(raw: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? "").trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return zlib.gunzipSync(raw);
    case "deflate":
      return zlib.inflateSync(raw);
    case "br":
      return zlib.brotliDecompressSync(raw);
    case "zstd":
      return zlib.zstdDecompressSync(raw);
    default:
      return raw;
  }
}

function headerString(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function presentedKey(req: http.IncomingMessage): string | undefined {
  const apiKey = headerString(req.headers["x-api-key"]);
  if (apiKey) return apiKey;
  const auth = headerString(req.headers.authorization);
  const m = auth?.match(/^Bearer\s+(.+)$/i);
  return m?.[1]?.trim();
}

function sleep(ms: number, res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      res.off("close", done);
      resolve();
    }
    res.on("close", done);
  });
}

function isGone(res: http.ServerResponse): boolean {
  return res.destroyed || res.writableEnded;
}

function sendJson(
  res: http.ServerResponse,
  record: RecordedRequest,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  record.status = status;
  if (isGone(res)) return;
  res.writeHead(status, {
    "content-type": "application/json",
    "request-id": randomId("req_"),
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function sendError(
  res: http.ServerResponse,
  record: RecordedRequest,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, record, status, { type: "error", error: { type, message } }, headers);
}

function toAgentRequest(body: any, index: number): AgentRequest {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  return {
    body,
    messages,
    system: body?.system,
    tools: Array.isArray(body?.tools) ? body.tools : [],
    model: typeof body?.model === "string" ? body.model : "",
    index,
    lastUserText: lastUserText(messages),
    toolResults: toolResults(messages),
  };
}

export async function startFakeAnthropic(opts: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  let script: Script = opts.script ?? sequence();
  let agentCount = 0;
  const requests: RecordedRequest[] = [];
  const scriptErrors: unknown[] = [];

  async function answer(res: http.ServerResponse, record: RecordedRequest, reply: Reply): Promise<void> {
    if (reply.delayMs && reply.delayMs > 0) await sleep(reply.delayMs, res);
    if (isGone(res)) return;
    if ("error" in reply) {
      const { status, type, message } = reply.error;
      sendError(res, record, status, type, message, reply.headers);
      return;
    }
    const body = record.body;
    const model = typeof body?.model === "string" ? body.model : "claude-fake";
    const message = buildMessage(reply, model, body);
    if (body?.stream !== true) {
      sendJson(res, record, 200, message);
      return;
    }
    record.status = 200;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "request-id": randomId("req_"),
    });
    const gap = reply.eventGapMs ?? 0;
    for (const [i, event] of messageToSseEvents(message).entries()) {
      if (gap > 0 && i > 0) await sleep(gap, res);
      if (isGone(res)) return;
      res.write(formatSse(event));
    }
    res.end();
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    let body: any;
    let badBody: string | undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(decode(raw, headerString(req.headers["content-encoding"])).toString("utf8"));
      } catch (err) {
        badBody = `could not parse request body: ${(err as Error).message}`;
      }
    }
    const record: RecordedRequest = {
      method,
      path: url.split("?")[0] ?? url,
      url,
      headers: { ...req.headers },
      body,
      kind: classify(method, url, body),
      receivedAt: Date.now(),
    };
    requests.push(record);

    if (opts.apiKey !== undefined && presentedKey(req) !== opts.apiKey) {
      sendError(res, record, 401, "authentication_error", "invalid x-api-key");
      return;
    }
    const path = record.path.replace(/\/+$/, "");
    if (method === "POST" && path === "/v1/messages/count_tokens") {
      if (badBody) return sendError(res, record, 400, "invalid_request_error", badBody);
      const tokens = estimateTokens({ system: body?.system, messages: body?.messages, tools: body?.tools });
      sendJson(res, record, 200, { input_tokens: tokens });
      return;
    }
    if (method !== "POST" || !isMessagesPath(url)) {
      sendError(res, record, 404, "not_found_error", `fake-anthropic: no route for ${method} ${url}`);
      return;
    }
    if (badBody || typeof body !== "object" || body === null) {
      sendError(res, record, 400, "invalid_request_error", badBody ?? "request body must be a JSON object");
      return;
    }

    let reply: Reply;
    if (record.kind === "agent") {
      const agentRequest = toAgentRequest(body, agentCount++);
      try {
        reply = await script(agentRequest);
      } catch (err) {
        scriptErrors.push(err);
        // 400 is not retried by the CLI, so a broken script fails the run quickly and visibly.
        const msg = err instanceof Error ? err.message : String(err);
        sendError(res, record, 400, "invalid_request_error", `fake-anthropic script error: ${msg}`);
        return;
      }
    } else {
      reply = opts.sideReply ? opts.sideReply(record) : defaultSideReply(record);
    }
    await answer(res, record, reply);
  }

  const server = http.createServer((req, res) => {
    res.on("error", () => {});
    handle(req, res).catch((err: unknown) => {
      if (err instanceof ClientGone) return;
      try {
        if (!res.headersSent && !isGone(res)) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ type: "error", error: { type: "api_error", message: String(err) } }));
        } else if (!isGone(res)) {
          res.destroy();
        }
      } catch {
        // the client is gone; nothing to do
      }
    });
  });
  server.on("clientError", (_err, socket) => {
    socket.destroy();
  });
  // Keep-alive connections should not keep close() waiting.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    scriptErrors,
    agentRequests: () => requests.filter((r) => r.kind === "agent"),
    setScript(next: Script) {
      script = next;
    },
    dropConnections() {
      server.closeAllConnections();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
