// HTTP front door: /api/v3/* → REST router, /<owner>/<repo>.git/* → git smart HTTP, anything else → 404.
import type { KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { authenticateRest } from "./auth.ts";
import { handleGit, isGitPath } from "./git-http.ts";
import { imageHostOf, isImagePath } from "./images.ts";
import { checkRequest } from "./openapi.ts";
import { authorize, DOCS, HttpError, Router, type Ctx, type Reply } from "./router.ts";
import { DOWNLOAD_PREFIX, serveDownload } from "./routes/actions.ts";
import { routes } from "./routes/index.ts";
import type { Store } from "./state.ts";
import type { RecordedRequest } from "./types.ts";

const API_PREFIX = "/api/v3";

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function createFakeServer(store: Store, publicKey: KeyObject, rootDir: string): Server {
  const router = new Router(routes);
  let remaining = 5000;
  let requestSeq = 0;

  function send(res: ServerResponse, reply: Reply): void {
    remaining = Math.max(1, remaining - 1);
    const headers: Record<string, string> = {
      "x-github-api-version-selected": "2022-11-28",
      "x-github-media-type": "github.v3; format=json",
      "x-github-request-id": `FAKE:${(++requestSeq).toString(16).toUpperCase()}`,
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": String(remaining),
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
      "x-ratelimit-used": String(5000 - remaining),
      "x-ratelimit-resource": "core",
      ...reply.headers,
    };
    if (reply.raw) {
      headers["content-type"] = reply.raw.contentType;
      res.writeHead(reply.status, headers);
      res.end(reply.raw.data);
    } else if (reply.body === undefined || reply.status === 204) {
      res.writeHead(reply.status, headers);
      res.end();
    } else {
      headers["content-type"] = "application/json; charset=utf-8";
      res.writeHead(reply.status, headers);
      res.end(JSON.stringify(reply.body));
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const apiPath = url.pathname.slice(API_PREFIX.length) || "/";
    const shownPath = safeDecode(apiPath);
    const raw = await readBody(req);
    const record: RecordedRequest = { method, path: shownPath, status: 0, body: undefined, auth: "none", at: Date.now() };
    store.requests.push(record);
    let contractNote: string | undefined;
    const finish = (reply: Reply): void => {
      record.status = reply.status;
      const reasons = [reply.unexpected, contractNote].filter((r) => r !== undefined);
      if (reasons.length) store.unexpected.push(`${method} ${shownPath} (${reasons.join("; ")})`);
      send(res, reply);
    };

    let body: unknown = undefined;
    if (raw.length) {
      const text = raw.toString("utf8");
      try {
        body = JSON.parse(text);
      } catch {
        record.body = text;
        finish({ status: 400, body: { message: "Problems parsing JSON", documentation_url: DOCS, status: "400" }, unexpected: "body is not JSON" });
        return;
      }
    }
    record.body = body;
    const auth = authenticateRest(req.headers["authorization"], store, publicKey);
    record.auth = auth.kind;
    if (auth.kind === "installation") record.token = auth.token.token;

    for (const gate of store.gates) if (gate.matches(method, shownPath)) await gate.opened;

    // GitHub's contract first: a request GitHub would refuse is refused here too, whatever the fake's routes say.
    const verdict = checkRequest(method, apiPath, url.searchParams, body);
    if (verdict.refuse) {
      const { status, reason, message } = verdict.refuse;
      finish({ status, body: { message, documentation_url: DOCS, status: String(status) }, unexpected: reason });
      return;
    }
    contractNote = verdict.note;

    const match = router.match(method, apiPath);
    if (!match) {
      finish({ status: 404, body: { message: "Not Found", documentation_url: DOCS, status: "404" }, unexpected: "no route" });
      return;
    }
    const ctx: Ctx = {
      store,
      method,
      path: apiPath,
      params: match.params,
      query: url.searchParams,
      body,
      headers: req.headers,
      auth,
      repo: undefined,
      actor: store.app.botUser,
    };
    try {
      authorize(match.route, ctx);
      finish(await match.route.handler(ctx));
    } catch (err) {
      if (err instanceof HttpError) {
        finish(err.unexpected !== undefined ? { status: err.status, body: err.body, unexpected: err.unexpected } : { status: err.status, body: err.body });
      } else {
        const msg = err instanceof Error ? err.message : String(err);
        finish({ status: 500, body: { message: `fake-github internal error: ${msg}` }, unexpected: `handler threw: ${msg}` });
      }
    }
  }

  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) {
      handleApi(req, res, url).catch((err: unknown) => {
        store.unexpected.push(`${req.method} ${url.pathname} (server error: ${String(err)})`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
      return;
    }
    if (url.pathname === "/api/graphql") {
      req.resume();
      store.requests.push({ method: req.method ?? "POST", path: url.pathname, status: 404, body: undefined, auth: "none", at: Date.now() });
      store.unexpected.push(`${req.method} /api/graphql (GraphQL is not implemented by the fake)`);
      send(res, { status: 404, body: { message: "Not Found", documentation_url: DOCS } });
      return;
    }
    if (isImagePath(url.pathname)) {
      req.resume();
      imageHostOf(store).serve(req, res, url);
      return;
    }
    if (isGitPath(url.pathname)) {
      handleGit(store, rootDir, req, res, url);
      return;
    }
    if (url.pathname.startsWith(DOWNLOAD_PREFIX)) {
      req.resume();
      serveDownload(store, req, res, url);
      return;
    }
    req.resume();
    store.requests.push({ method: req.method ?? "GET", path: url.pathname, status: 404, body: undefined, auth: "none", at: Date.now() });
    store.unexpected.push(`${req.method} ${url.pathname} (not an API or git path)`);
    res.writeHead(404, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify({ message: "Not Found", documentation_url: DOCS }));
  });
}
