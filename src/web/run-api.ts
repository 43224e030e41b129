import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { z } from "zod";
import { ApiError, continueRunSchema, startRunSchema, type StartRunInput } from "./start-run.ts";
import type { RunRecord, Store } from "../store/types.ts";
import type { AdminAuth } from "./admin-auth.ts";
import { BodyError, originOf, readJson, requestUrl, sendError, sendJson } from "./http.ts";
import type { TextRedactor } from "./redact-display.ts";
import { hasWellFormedEscapes, matchPath, parseRunId } from "./routes.ts";
import { RUN_STATES, runSummaryView, runView } from "./run-view.ts";

/**
 * The run API, for scripts and the CLI (Authorization: Bearer <ADMIN_TOKEN>):
 *   POST /api/runs                {repo, prompt, issue?, branch?} → 202 {id, state, url}
 *   GET  /api/runs?repo=&state=&limit=                            → 200 {runs: [...]}
 *   GET  /api/runs/:id                                            → 200 the run, its result JSON
 *   POST /api/runs/:id/messages   {prompt}                        → 202 a new run in the same session
 *   POST /api/runs/:id/cancel                                     → 202
 * Errors are JSON {error: "..."} saying what was wrong. Probot's webhook path (/api/github/…) is not ours.
 */

export interface RunApiDeps {
  store: Pick<Store, "listRuns" | "getRun">;
  api: { start(input: StartRunInput): Promise<RunRecord>; continue(runId: number, prompt: string): Promise<RunRecord> };
  cancelRun(runId: number): Promise<void>;
  auth: AdminAuth | null;
  redactFor: (trigger: RunRecord["trigger"]) => TextRedactor;
  log: Logger;
  now?: () => number;
}

export const listQuerySchema = z.object({
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "repo must be owner/name").optional(),
  state: z.enum(RUN_STATES, { error: `state must be one of ${RUN_STATES.join(", ")}` }).optional(),
  limit: z.coerce.number({ error: "limit must be a number" }).int("limit must be a whole number").min(1, "limit must be at least 1").max(500, "limit must be at most 500").default(50),
});

export function isRunApiPath(path: string): boolean {
  return (path === "/api" || path.startsWith("/api/")) && !path.startsWith("/api/github/");
}

/** zod issues → one line naming each field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "body"}: ${issue.message}`).join("; ");
}

export function createRunApi(deps: RunApiDeps) {
  const now = deps.now ?? Date.now;

  return async function handleRunApi(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = requestUrl(req);
    const path = url.pathname.replace(/\/+$/, "");
    if (!isRunApiPath(path)) return false;
    if (!hasWellFormedEscapes(path)) return sendError(res, 400, "The path has a malformed % escape.");
    if (!deps.auth) return sendError(res, 503, "The run API is off because ADMIN_TOKEN is not set: set ADMIN_TOKEN (at least 16 characters) in the bot's environment and restart it.");
    const auth = deps.auth.checkBearer(req);
    if (!auth.ok) {
      const message = auth.reason === "missing" ? "Authentication required: send Authorization: Bearer <ADMIN_TOKEN>." : "The bearer token is not this bot's ADMIN_TOKEN.";
      return sendError(res, 401, message, { "www-authenticate": 'Bearer realm="claude-sandbox-bot"' });
    }
    const method = req.method ?? "GET";
    try {
      if (path === "/api/runs") {
        if (method === "GET") return await list(url, res);
        if (method === "POST") return await start(req, res);
        return sendError(res, 405, `${method} is not supported on /api/runs: use GET or POST.`, { allow: "GET, POST" });
      }
      const one = matchPath("/api/runs/:id", path);
      const messages = matchPath("/api/runs/:id/messages", path);
      const cancel = matchPath("/api/runs/:id/cancel", path);
      const segment = (one ?? messages ?? cancel)?.id;
      if (segment === undefined) return sendError(res, 404, `There is no endpoint ${path}: see GET/POST /api/runs, GET /api/runs/:id, POST /api/runs/:id/messages, POST /api/runs/:id/cancel.`);
      const id = parseRunId(segment);
      if (id === null) return sendError(res, 400, `"${segment}" is not a run id (a positive whole number).`);
      if (one) {
        if (method !== "GET") return sendError(res, 405, `${method} is not supported on /api/runs/:id: use GET.`, { allow: "GET" });
        const run = await deps.store.getRun(id);
        if (!run) return sendError(res, 404, `Run ${id} does not exist.`);
        return sendJson(res, 200, runView(run, deps.redactFor(run.trigger), now()));
      }
      if (method !== "POST") return sendError(res, 405, `${method} is not supported here: use POST.`, { allow: "POST" });
      if (messages) return await continueRun(req, res, id);
      const run = await deps.store.getRun(id);
      if (!run) return sendError(res, 404, `Run ${id} does not exist.`);
      await deps.cancelRun(id);
      deps.log.info({ run: id }, "run API: cancel requested");
      return sendJson(res, 202, { id, state: run.state, cancelRequested: true });
    } catch (error) {
      if (error instanceof BodyError || error instanceof ApiError) return sendError(res, error.status, error.message);
      deps.log.error({ err: error, method, path }, "run API: request failed");
      return sendError(res, 500, `The request failed inside the bot (${(error as Error).message}); the bot's log has the details.`);
    }
  };

  async function list(url: URL, res: ServerResponse): Promise<true> {
    const query = listQuerySchema.safeParse(Object.fromEntries([...url.searchParams].filter(([, v]) => v !== "")));
    if (!query.success) return sendError(res, 400, describeIssues(query.error));
    const { repo, state, limit } = query.data;
    const runs = await deps.store.listRuns({ ...(repo ? { repoFullName: repo } : {}), ...(state ? { states: [state] } : {}), limit });
    const t = now();
    return sendJson(res, 200, { runs: runs.map((run) => runSummaryView(run, deps.redactFor(run.trigger), t)) });
  }

  async function start(req: IncomingMessage, res: ServerResponse): Promise<true> {
    const body = startRunSchema.safeParse(await readJson(req));
    if (!body.success) return sendError(res, 400, describeIssues(body.error));
    const run = await deps.api.start(body.data);
    deps.log.info({ run: run.id, repo: body.data.repo, issue: body.data.issue }, "run API: run queued");
    return sendJson(res, 202, accepted(req, run));
  }

  async function continueRun(req: IncomingMessage, res: ServerResponse, id: number): Promise<true> {
    const body = continueRunSchema.safeParse(await readJson(req));
    if (!body.success) return sendError(res, 400, describeIssues(body.error));
    const run = await deps.api.continue(id, body.data.prompt);
    deps.log.info({ run: run.id, after: id }, "run API: follow-up queued");
    return sendJson(res, 202, accepted(req, run));
  }
}

function accepted(req: IncomingMessage, run: RunRecord) {
  const origin = originOf(req);
  return { id: run.id, state: run.state, threadKey: run.threadKey, url: `${origin}/api/runs/${run.id}`, dashboardUrl: `${origin}/dashboard/runs/${run.id}` };
}
