// Git smart HTTP: authenticates like github.com, then runs `git http-backend` as a CGI.
import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import { relative } from "node:path";
import { basicToken, coversRepo, hasPermission, scopeProblem, tokenProblem } from "./auth.ts";
import { gitEnv } from "./git.ts";
import type { Store } from "./state.ts";
import type { GitDenied, GitService } from "./types.ts";

const GIT_PATH = /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;

export function isGitPath(pathname: string): boolean {
  return GIT_PATH.test(pathname);
}

function deny(
  store: Store,
  req: IncomingMessage,
  res: ServerResponse,
  d: Omit<GitDenied, "method" | "path" | "status">,
  status: number,
  message: string,
): void {
  store.gitDenied.push({ method: req.method ?? "GET", path: req.url ?? "", status, ...d });
  const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
  if (status === 401) headers["www-authenticate"] = 'Basic realm="GitHub"';
  res.writeHead(status, headers);
  res.end(message);
}

export function handleGit(store: Store, rootDir: string, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const m = GIT_PATH.exec(url.pathname);
  if (!m) {
    res.writeHead(404).end();
    return;
  }
  const [, owner = "", name = "", tail = ""] = m;
  const method = req.method ?? "GET";
  const service: GitService | null =
    tail === "info/refs"
      ? ((): GitService | null => {
          const s = url.searchParams.get("service");
          return s === "git-upload-pack" || s === "git-receive-pack" ? s : null;
        })()
      : (tail as GitService);
  const fullName = `${owner}/${name}`;
  if (!service || (tail === "info/refs" ? method !== "GET" : method !== "POST")) {
    deny(store, req, res, { repo: fullName, service, kind: "not-found", reason: "dumb HTTP protocol / wrong method not supported" }, 404, "Not Found\n");
    return;
  }

  const token = basicToken(req.headers["authorization"]);
  if (!token) {
    deny(store, req, res, { repo: fullName, service, kind: "missing", reason: "no HTTP Basic credentials" }, 401, "");
    return;
  }
  const issued = store.findToken(token);
  const problem = tokenProblem(issued);
  if (problem || !issued) {
    deny(
      store,
      req,
      res,
      { repo: fullName, service, kind: problem?.kind ?? "invalid", reason: problem?.reason ?? "unknown token" },
      401,
      "remote: Invalid username or token. Password authentication is not supported for Git operations.\n",
    );
    return;
  }
  const repo = store.repo(fullName);
  if (!repo) {
    deny(store, req, res, { repo: fullName, service, kind: "not-found", reason: "no such repository" }, 404, "Repository not found.\n");
    return;
  }
  if (!coversRepo(issued, repo)) {
    deny(
      store,
      req,
      res,
      { repo: repo.fullName, service, kind: "scope", reason: scopeProblem(issued, repo) },
      404,
      "Repository not found.\n",
    );
    return;
  }
  const needed = service === "git-receive-pack" ? "write" : "read";
  if (!hasPermission(issued, "contents", needed)) {
    deny(
      store,
      req,
      res,
      { repo: repo.fullName, service, kind: "permission", reason: `token has contents:${issued.permissions["contents"] ?? "none"}, needs ${needed}` },
      403,
      needed === "write" ? "Write access to repository not granted.\n" : "Read access to repository not granted.\n",
    );
    return;
  }

  const pathInfo = `/${relative(rootDir, repo.bareDir)}/${tail}`;
  const env = gitEnv({
    GIT_PROJECT_ROOT: rootDir,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: pathInfo,
    QUERY_STRING: url.search.replace(/^\?/, ""),
    REQUEST_METHOD: method,
    REMOTE_USER: "x-access-token",
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    SERVER_PROTOCOL: "HTTP/1.1",
    ...(req.headers["content-type"] ? { CONTENT_TYPE: req.headers["content-type"] } : {}),
    ...(req.headers["content-length"] ? { CONTENT_LENGTH: req.headers["content-length"] } : {}),
    ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"]) } : {}),
    ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
  });
  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
  const stderr: Buffer[] = [];
  child.stderr.on("data", (d: Buffer) => stderr.push(d));
  req.pipe(child.stdin);
  child.stdin.on("error", () => {});

  let headerBuf = Buffer.alloc(0);
  let headersDone = false;
  let status = 200;
  child.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    headerBuf = Buffer.concat([headerBuf, chunk]);
    let end = headerBuf.indexOf("\r\n\r\n");
    let sepLen = 4;
    if (end < 0) {
      end = headerBuf.indexOf("\n\n");
      sepLen = 2;
    }
    if (end < 0) return;
    headersDone = true;
    const headers: Record<string, string> = {};
    for (const line of headerBuf.subarray(0, end).toString("latin1").split(/\r?\n/)) {
      const i = line.indexOf(":");
      if (i < 0) continue;
      const k = line.slice(0, i).trim().toLowerCase();
      const v = line.slice(i + 1).trim();
      if (k === "status") status = Number.parseInt(v, 10) || 200;
      else headers[k] = v;
    }
    res.writeHead(status, headers);
    const rest = headerBuf.subarray(end + sepLen);
    if (rest.length) res.write(rest);
  });
  child.on("error", (err) => {
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end(`git http-backend failed: ${err.message}\n`);
  });
  child.on("close", (code) => {
    if (!headersDone) {
      status = 500;
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.write(`git http-backend exited ${code}: ${Buffer.concat(stderr).toString("utf8")}`);
    }
    res.end();
    store.gitRequests.push({ service, repo: repo.fullName, phase: tail === "info/refs" ? "info/refs" : "rpc", token, status });
  });
}
