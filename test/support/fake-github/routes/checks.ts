// Check runs (the Checks API): create, update, and the list for a commit. The OpenAPI check
// (openapi.ts) already holds bodies to GitHub's schema (required name/head_sha, the status and
// conclusion enums, output's required title/summary and 65535-character limits); what GitHub
// checks beyond the schema is checked here.
import { z } from "zod";
import { revParse } from "../git.ts";
import { intParam, json, notFound, paginate, validationFailed, DOCS, HttpError, type Ctx, type Route } from "../router.ts";
import { apiBase } from "../serialize.ts";
import { serializeCheckApp } from "./actions.ts";
import { nodeId, nowIso } from "../state.ts";
import type { AccessLevel, CheckRun } from "../types.ts";

const read: Array<[string, AccessLevel]> = [["checks", "read"]];
const write: Array<[string, AccessLevel]> = [["checks", "write"]];

// The fields the fake keeps; the schema check has already refused anything GitHub would.
const checkRunBody = z.object({
  name: z.string().optional(),
  head_sha: z.string().optional(),
  details_url: z.string().optional(),
  external_id: z.string().optional(),
  status: z.enum(["queued", "in_progress", "completed"]).optional(),
  conclusion: z.string().optional(),
  started_at: z.string().optional(),
  completed_at: z.string().optional(),
  output: z.object({ title: z.string(), summary: z.string(), text: z.string().optional() }).loose().optional(),
}).loose();
type CheckRunBody = z.infer<typeof checkRunBody>;

function invalid(field: string, message: string): HttpError {
  const e = validationFailed([{ resource: "CheckRun", code: "invalid", field, message }]);
  e.unexpected = `check run: ${message}`;
  return e;
}

/** GitHub's rules beyond the schema: a completed run has a conclusion, and only GitHub marks one stale. */
function checkRules(body: CheckRunBody): void {
  if (body.name !== undefined && body.name.trim() === "") throw invalid("name", "name can't be blank");
  if (body.conclusion === "stale") throw invalid("conclusion", "conclusion can't be set to stale (only GitHub does)");
  if ((body.status === "completed" || body.completed_at !== undefined) && body.conclusion === undefined) {
    throw invalid("conclusion", "conclusion is required when status is completed or completed_at is given");
  }
  if (body.details_url !== undefined && !/^https?:\/\/[^\s]+$/.test(body.details_url)) throw invalid("details_url", "details_url must be an http(s) URL");
}

function apply(run: CheckRun, body: CheckRunBody): void {
  if (body.name !== undefined) run.name = body.name;
  if (body.details_url !== undefined) run.detailsUrl = body.details_url;
  if (body.external_id !== undefined) run.externalId = body.external_id;
  if (body.status !== undefined) run.status = body.status;
  if (body.conclusion !== undefined) {
    // Giving a conclusion completes the run, as on GitHub.
    run.conclusion = body.conclusion;
    run.status = "completed";
    run.completedAt = body.completed_at ?? nowIso();
  }
  if (body.output) run.output = { title: body.output.title, summary: body.output.summary, text: body.output.text ?? null };
  run.history.push(body);
}

export function serializeCheckRun(ctx: Ctx, r: CheckRun): Record<string, unknown> {
  const api = apiBase(ctx.store);
  const html = `${ctx.store.baseUrl}/${r.repo}/runs/${r.id}`;
  return {
    id: r.id,
    node_id: nodeId("CR_", r.id),
    head_sha: r.headSha,
    external_id: r.externalId ?? "",
    url: `${api}/repos/${r.repo}/check-runs/${r.id}`,
    html_url: html,
    details_url: r.detailsUrl ?? html,
    status: r.status,
    conclusion: r.conclusion,
    started_at: r.startedAt,
    completed_at: r.completedAt,
    output: { ...r.output, annotations_count: 0, annotations_url: `${api}/repos/${r.repo}/check-runs/${r.id}/annotations` },
    name: r.name,
    check_suite: { id: ctx.store.stableId(`suite:${r.repo}:${r.headSha}:${r.appId}`) },
    app: serializeCheckApp(ctx.store, r.appId),
    pull_requests: [],
  };
}

function findRun(ctx: Ctx): CheckRun {
  const id = intParam(ctx, "check_run_id");
  const run = ctx.store.state.checkRuns.find((r) => r.id === id && r.repo === ctx.repo?.fullName);
  if (!run) throw notFound();
  return run;
}

export const checkRoutes: Route[] = [
  {
    method: "POST",
    pattern: "/repos/:owner/:repo/check-runs",
    auth: "installation",
    perms: write,
    handler: async (ctx) => {
      const body = checkRunBody.parse(ctx.body ?? {});
      checkRules(body);
      const repo = ctx.repo!;
      const sha = await revParse(repo.bareDir, body.head_sha ?? "");
      if (!sha || sha !== body.head_sha) throw invalid("head_sha", `No commit found for SHA: ${body.head_sha}`);
      const run: CheckRun = {
        id: ctx.store.id(),
        repo: repo.fullName,
        headSha: sha,
        name: body.name ?? "",
        status: "queued",
        conclusion: null,
        detailsUrl: null,
        externalId: null,
        startedAt: body.started_at ?? nowIso(),
        completedAt: null,
        output: { title: null, summary: null, text: null },
        appId: ctx.store.app.id,
        history: [],
      };
      apply(run, body);
      ctx.store.state.checkRuns.push(run);
      return json(201, serializeCheckRun(ctx, run));
    },
  },
  {
    method: "PATCH",
    pattern: "/repos/:owner/:repo/check-runs/:check_run_id",
    auth: "installation",
    perms: write,
    handler: (ctx) => {
      const run = findRun(ctx);
      if (run.appId !== ctx.store.app.id) throw new HttpError(403, { message: "Invalid app_id", documentation_url: DOCS, status: "403" }, "check run of another app");
      const body = checkRunBody.parse(ctx.body ?? {});
      checkRules(body);
      // GitHub accepts it, but a finished run going back to "in progress" is a bot bug: recorded.
      const reopened = run.status === "completed" && body.status !== undefined && body.status !== "completed";
      apply(run, body);
      const reply = json(200, serializeCheckRun(ctx, run));
      return reopened ? { ...reply, unexpected: `check run ${run.id} went from completed back to ${body.status}` } : reply;
    },
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/check-runs/:check_run_id",
    auth: "installation",
    perms: read,
    handler: (ctx) => json(200, serializeCheckRun(ctx, findRun(ctx))),
  },
  {
    method: "GET",
    pattern: "/repos/:owner/:repo/commits/:ref/check-runs",
    auth: "installation",
    perms: read,
    handler: async (ctx) => {
      const repo = ctx.repo!;
      const sha = await revParse(repo.bareDir, ctx.params["ref"] ?? "");
      if (!sha) throw validationFailed([], `No commit found for SHA: ${ctx.params["ref"]}`);
      const name = ctx.query.get("check_name");
      const status = ctx.query.get("status");
      const all = ctx.store.state.checkRuns
        .filter((r) => r.repo === repo.fullName && r.headSha === sha && (!name || r.name === name) && (!status || r.status === status))
        .sort((a, b) => b.id - a.id);
      const { page, headers } = paginate(ctx, all);
      return json(200, { total_count: all.length, check_runs: page.map((r) => serializeCheckRun(ctx, r)) }, headers);
    },
  },
];
