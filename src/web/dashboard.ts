import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { startOfUtcDay } from "../runs/budget.ts";
import type { RunState, Store } from "../store/types.ts";
import type { AdminAuth } from "./admin-auth.ts";
import { clearedSessionCookie } from "./admin-auth.ts";
import { loginPage, notConfiguredPage, notFoundPage, runPage, runsPage } from "./dashboard-pages.ts";
import { BodyError, headerValue, originOf, readForm, redirect, requestUrl, sendHtml, sendText } from "./http.ts";
import type { TextRedactor } from "./redact-display.ts";
import { hasWellFormedEscapes, isSameOriginRequest, matchPath, parseRunId, safeNext } from "./routes.ts";
import type { RunStreams } from "./run-stream.ts";
import { RUN_STATES, runSummaryView, runView } from "./run-view.ts";
import { computeTotals } from "./totals.ts";

/**
 * The dashboard: /login, /logout, /dashboard (runs, filters, totals), /dashboard/runs/:id (details,
 * result, live stream, cancel). Server-rendered; every value is escaped by the page templates.
 */

export interface DashboardDeps {
  store: Pick<Store, "listRuns" | "getRun" | "gateway" | "snapshots">;
  /** The model gateway is on: its figures are shown. */
  gatewayOn?: boolean;
  cancelRun(runId: number): Promise<void>;
  /** null when ADMIN_TOKEN is not set: every page answers 503 saying so. */
  auth: AdminAuth | null;
  streams: RunStreams;
  redactFor: (trigger: { config?: { env: string[] } | undefined }) => TextRedactor;
  log: Logger;
  now?: () => number;
}

const LIST_LIMIT = 100;
const TOTALS_WINDOW_DAYS = 14;
const TOTALS_MAX_RUNS = 2000;
const FAILED_LOGIN_DELAY_MS = 300;

export function isDashboardPath(path: string): boolean {
  return path === "/login" || path === "/logout" || path === "/dashboard" || path.startsWith("/dashboard/");
}

export function createDashboard(deps: DashboardDeps) {
  const now = deps.now ?? Date.now;
  const secure = (req: IncomingMessage) => originOf(req).startsWith("https:");

  return async function handleDashboard(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = requestUrl(req);
    const path = url.pathname.replace(/\/+$/, "") || "/";
    if (!isDashboardPath(path)) return false;
    if (!hasWellFormedEscapes(url.pathname)) return sendText(res, 400, "The path has a malformed % escape.");
    const auth = deps.auth;
    if (!auth) return sendHtml(res, 503, notConfiguredPage());
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD" && !isSameOriginRequest({ origin: headerValue(req, "origin"), secFetchSite: headerValue(req, "sec-fetch-site") }, originOf(req))) {
      deps.log.warn({ method, path, origin: headerValue(req, "origin"), secFetchSite: headerValue(req, "sec-fetch-site") }, "dashboard: a cross-site request refused");
      return sendText(res, 403, "Refused: this request came from another site. Use the dashboard's own pages.");
    }

    if (path === "/login" || path === "/logout") return signInOrOut(req, res, url, path, auth);
    const authenticated = auth.checkDashboard(req);
    const events = matchPath("/dashboard/runs/:id/events", path);
    if (!authenticated.ok) {
      if (method === "GET" && !events) return redirect(res, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
      return sendText(res, 401, "Sign in at /login first (or send Authorization: Bearer <ADMIN_TOKEN>).", undefined, { "www-authenticate": "Bearer" });
    }

    if (path === "/dashboard") {
      if (method !== "GET") return sendText(res, 405, "Use GET.", undefined, { allow: "GET" });
      return listPage(url, res);
    }
    if (events) {
      const id = parseRunId(events.id);
      const run = id === null ? null : await deps.store.getRun(id);
      if (!run) return sendText(res, 404, `Run ${events.id} does not exist.`);
      deps.streams.open(req, res, run);
      return true;
    }
    return runPages(req, res, url, path);
  };

  /** The sign-in form and its answer, and signing out. */
  async function signInOrOut(req: IncomingMessage, res: ServerResponse, url: URL, path: "/login" | "/logout", auth: NonNullable<DashboardDeps["auth"]>): Promise<boolean> {
    const method = req.method ?? "GET";
    if (path === "/login") {
      if (method === "GET") {
        if (auth.checkDashboard(req).ok) return redirect(res, safeNext(url.searchParams.get("next")));
        return sendHtml(res, 200, loginPage({ next: safeNext(url.searchParams.get("next")) }));
      }
      if (method !== "POST") return sendText(res, 405, "Use GET or POST.", undefined, { allow: "GET, POST" });
      const form = await readForm(req).catch((error: unknown) => (error instanceof BodyError ? null : Promise.reject(error)));
      const next = safeNext(form?.get("next"));
      if (!form || !auth.checkToken(form.get("token") ?? "")) {
        await sleep(FAILED_LOGIN_DELAY_MS);
        deps.log.warn({ from: req.socket.remoteAddress }, "dashboard: a sign-in with a wrong admin token");
        return sendHtml(res, 401, loginPage({ next, problem: "That is not the admin token (ADMIN_TOKEN). Try again." }));
      }
      return redirect(res, next, { "set-cookie": auth.newSessionCookie(secure(req)) });
    }
    if (method !== "POST") return sendText(res, 405, "Use POST.", undefined, { allow: "POST" });
    return redirect(res, "/login", { "set-cookie": clearedSessionCookie(secure(req)) });
  }

  /** A run's page and its cancel button (the caller checked the sign-in). */
  async function runPages(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<boolean> {
    const method = req.method ?? "GET";
    const cancel = matchPath("/dashboard/runs/:id/cancel", path);
    if (cancel) {
      if (method !== "POST") return sendText(res, 405, "Use POST.", undefined, { allow: "POST" });
      const id = parseRunId(cancel.id);
      const run = id === null ? null : await deps.store.getRun(id);
      if (!run) return sendHtml(res, 404, notFoundPage(`Run ${cancel.id} does not exist.`));
      await deps.cancelRun(run.id);
      deps.log.info({ run: run.id }, "dashboard: cancel requested");
      return redirect(res, `/dashboard/runs/${run.id}?notice=cancel`);
    }
    const detail = matchPath("/dashboard/runs/:id", path);
    if (detail && method === "GET") {
      const id = parseRunId(detail.id);
      const run = id === null ? null : await deps.store.getRun(id);
      if (!run) return sendHtml(res, 404, notFoundPage(`Run ${detail.id} does not exist.`));
      const nonce = randomBytes(16).toString("base64");
      const notice = url.searchParams.get("notice") === "cancel" ? "Cancel requested: the run stops within a few seconds." : undefined;
      const gateway = deps.gatewayOn ? { gateway: await deps.store.gateway.runUsage(String(run.id)) } : {};
      return sendHtml(res, 200, runPage({ run: runView(run, deps.redactFor(run.trigger), now()), nonce, ...gateway, ...(notice ? { notice } : {}) }), { nonce });
    }
    return sendHtml(res, 404, notFoundPage(`There is no page at ${url.pathname}.`));
  }

  async function listPage(url: URL, res: ServerResponse): Promise<true> {
    const repo = (url.searchParams.get("repo") ?? "").trim();
    const state = (url.searchParams.get("state") ?? "").trim();
    const problems: string[] = [];
    const repoOk = repo === "" || /^[\w.-]+\/[\w.-]+$/.test(repo);
    if (!repoOk) problems.push(`"${repo}" is not a repository (owner/name); showing all repositories.`);
    const stateOk = state === "" || (RUN_STATES as readonly string[]).includes(state);
    if (!stateOk) problems.push(`"${state}" is not a state (${RUN_STATES.join(", ")}); showing all states.`);
    const t = now();
    const runs = await deps.store.listRuns({
      ...(repo && repoOk ? { repoFullName: repo } : {}),
      ...(state && stateOk ? { states: [state as RunState] } : {}),
      limit: TOTALS_MAX_RUNS,
    });
    const views = runs.map((run) => runSummaryView(run, deps.redactFor(run.trigger), t));
    const since = new Date(t - TOTALS_WINDOW_DAYS * 86_400_000).toISOString();
    const totals = computeTotals(views.filter((v) => v.createdAt >= since));
    const repos = [...new Set(views.map((v) => v.repo))].sort();
    return sendHtml(
      res,
      200,
      runsPage({
        runs: views.slice(0, LIST_LIMIT),
        filters: { repo: repoOk ? repo : "", state: stateOk ? state : "" },
        totals,
        totalsWindowDays: TOTALS_WINDOW_DAYS,
        repos,
        ...(deps.gatewayOn ? { gateway: await deps.store.gateway.usageByRepo(startOfUtcDay(t)) } : {}),
        snapshots: await deps.store.snapshots.list(),
        ...(problems.length ? { problem: problems.join(" ") } : {}),
      }),
    );
  }
}
