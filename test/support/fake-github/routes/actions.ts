// CI as other apps report it: check suites (grouped from the check runs, as GitHub groups them per
// app), commit statuses, check run annotations, and GitHub Actions job logs — GET …/logs answers
// 302 with a short-lived download URL on this server (/_downloads/…), which needs no token, like
// GitHub's pre-signed storage URLs. The test side writes these through `gh.state` (test/support/ci-fixtures.ts).
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { revParse } from "../git.ts";
import { intParam, json, notFound, paginate, validationFailed, type Ctx, type Route } from "../router.ts";
import { apiBase, serializeApp, serializeUser, type Json } from "../serialize.ts";
import { nodeId, type Store } from "../state.ts";
import type { AccessLevel, CheckRun } from "../types.ts";

/** GitHub Actions' app (its id on github.com). */
export const GITHUB_ACTIONS_APP = { id: 15368, slug: "github-actions", name: "GitHub Actions" };

const checksRead: Array<[string, AccessLevel]> = [["checks", "read"]];

/** The app of a check run or suite: the bot's own, or GitHub Actions for any other id. */
export function serializeCheckApp(store: Store, appId: number): Json {
  if (appId === store.app.id) return serializeApp(store);
  const owner = store.user({ login: "github", type: "Organization" });
  return {
    id: appId,
    slug: GITHUB_ACTIONS_APP.slug,
    client_id: `Iv1.${appId.toString(16).padStart(16, "0")}`,
    node_id: nodeId("App", appId),
    owner: serializeUser(store, owner),
    name: GITHUB_ACTIONS_APP.name,
    description: "Automate your workflow from idea to production",
    external_url: "https://help.github.com/en/actions",
    html_url: "https://github.com/apps/github-actions",
    created_at: "2018-07-30T09:30:17Z",
    updated_at: "2019-12-10T19:04:12Z",
    permissions: { actions: "write", checks: "write", contents: "write", metadata: "read", statuses: "write" },
    events: ["check_run", "check_suite", "push", "pull_request", "workflow_run"],
  };
}

async function headOf(ctx: Ctx): Promise<string> {
  const sha = await revParse(ctx.repo!.bareDir, ctx.params["ref"] ?? "");
  if (!sha) throw validationFailed([], `No commit found for SHA: ${ctx.params["ref"]}`);
  return sha;
}

function suiteOf(ctx: Ctx, repo: string, sha: string, appId: number, runs: CheckRun[]): Json {
  const done = runs.every((r) => r.status === "completed");
  const conclusions = runs.map((r) => r.conclusion);
  const conclusion = !done ? null : conclusions.includes("failure") || conclusions.includes("timed_out") ? "failure" : "success";
  const id = ctx.store.stableId(`suite:${repo}:${sha}:${appId}`);
  const repository = ctx.store.mustRepo(repo);
  return {
    id,
    node_id: nodeId("CS_", id),
    head_branch: null,
    head_sha: sha,
    status: runs.length === 0 ? "queued" : done ? "completed" : "in_progress",
    conclusion,
    url: `${apiBase(ctx.store)}/repos/${repo}/check-suites/${id}`,
    before: null,
    after: sha,
    pull_requests: [],
    app: serializeCheckApp(ctx.store, appId),
    repository: { id: repository.id, node_id: repository.nodeId, name: repository.name, full_name: repository.fullName, private: repository.private },
    created_at: runs[0]?.startedAt ?? null,
    updated_at: runs.at(-1)?.completedAt ?? runs[0]?.startedAt ?? null,
    head_commit: { id: sha, tree_id: sha, message: "", timestamp: runs[0]?.startedAt ?? "", author: null, committer: null },
    latest_check_runs_count: runs.length,
    check_runs_url: `${apiBase(ctx.store)}/repos/${repo}/check-suites/${id}/check-runs`,
    rerequestable: true,
    runs_rerequestable: true,
  };
}

async function listSuites(ctx: Ctx) {
  const repo = ctx.repo!.fullName;
  const sha = await headOf(ctx);
  const byApp = new Map<number, CheckRun[]>();
  for (const r of ctx.store.state.checkRuns) if (r.repo === repo && r.headSha === sha) byApp.set(r.appId, [...(byApp.get(r.appId) ?? []), r]);
  const suites = [...byApp].map(([appId, runs]) => suiteOf(ctx, repo, sha, appId, runs));
  const { page, headers } = paginate(ctx, suites);
  return json(200, { total_count: suites.length, check_suites: page }, headers);
}

async function combinedStatus(ctx: Ctx) {
  const repo = ctx.repo!;
  const sha = await headOf(ctx);
  // The newest status per context, as GitHub combines them.
  const latest = new Map<string, (typeof ctx.store.state.commitStatuses)[number]>();
  for (const s of ctx.store.state.commitStatuses.filter((x) => x.repo === repo.fullName && x.sha === sha)) latest.set(s.context, s);
  const statuses = [...latest.values()];
  const state = statuses.some((s) => s.state === "failure" || s.state === "error") ? "failure" : statuses.length === 0 || statuses.some((s) => s.state === "pending") ? "pending" : "success";
  const api = apiBase(ctx.store);
  return json(200, {
    state,
    sha,
    total_count: statuses.length,
    statuses: statuses.map((s) => ({ url: `${api}/repos/${repo.fullName}/statuses/${sha}`, avatar_url: null, id: s.id, node_id: nodeId("SC_", s.id), state: s.state, description: s.description, target_url: s.targetUrl, context: s.context, created_at: s.createdAt, updated_at: s.createdAt })),
    repository: { id: repo.id, node_id: repo.nodeId, name: repo.name, full_name: repo.fullName, private: repo.private },
    commit_url: `${api}/repos/${repo.fullName}/commits/${sha}`,
    url: `${api}/repos/${repo.fullName}/commits/${sha}/status`,
  });
}

function annotations(ctx: Ctx) {
  const id = intParam(ctx, "check_run_id");
  if (!ctx.store.state.checkRuns.some((r) => r.id === id && r.repo === ctx.repo?.fullName)) throw notFound();
  const all = ctx.store.state.checkAnnotations.filter((a) => a.checkRunId === id);
  const { page, headers } = paginate(ctx, all);
  const blob = `${ctx.store.baseUrl}/${ctx.repo!.fullName}/blob`;
  return json(200, page.map((a) => ({ path: a.path, blob_href: `${blob}/${a.path}`, start_line: a.startLine, end_line: a.endLine, start_column: null, end_column: null, annotation_level: a.level, title: a.title, message: a.message, raw_details: null })), headers);
}

/** 302 to a download URL with a fresh signature (GitHub's expire after a minute). */
function jobLogs(ctx: Ctx) {
  const jobId = intParam(ctx, "job_id");
  const log = ctx.store.state.jobLogs.find((l) => l.jobId === jobId && l.repo === ctx.repo?.fullName);
  if (!log) throw notFound();
  const sig = randomBytes(12).toString("hex");
  log.signatures.push(sig);
  const location = log.redirectTo ?? `${ctx.store.baseUrl}/_downloads/job-logs/${jobId}?sig=${sig}`;
  return { status: 302, headers: { location } };
}

export const actionsRoutes: Route[] = [
  { method: "GET", pattern: "/repos/:owner/:repo/commits/:ref/check-suites", auth: "installation", perms: checksRead, handler: listSuites },
  { method: "GET", pattern: "/repos/:owner/:repo/commits/:ref/status", auth: "installation", perms: [["statuses", "read"]], handler: combinedStatus },
  { method: "GET", pattern: "/repos/:owner/:repo/check-runs/:check_run_id/annotations", auth: "installation", perms: checksRead, handler: annotations },
  { method: "GET", pattern: "/repos/:owner/:repo/actions/jobs/:job_id/logs", auth: "installation", perms: [["actions", "read"]], handler: jobLogs },
];

export const DOWNLOAD_PREFIX = "/_downloads/job-logs/";

/** The download behind the redirect: no token (none is sent to it), only the signature. Honours `Range: bytes=-N`. */
export function serveDownload(store: Store, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const jobId = Number(url.pathname.slice(DOWNLOAD_PREFIX.length));
  const log = store.state.jobLogs.find((l) => l.jobId === jobId);
  const sig = url.searchParams.get("sig") ?? "";
  store.requests.push({ method: req.method ?? "GET", path: url.pathname, status: 0, body: undefined, auth: req.headers.authorization ? "invalid" : "none", at: Date.now() });
  const record = store.requests.at(-1)!;
  if (req.headers.authorization) store.unexpected.push(`GET ${url.pathname} (a credential was sent to the log download)`);
  if (!log || !log.signatures.includes(sig)) {
    record.status = 403;
    res.writeHead(403, { "content-type": "application/xml" }).end("<Error><Code>AuthenticationFailed</Code></Error>");
    return;
  }
  const data = Buffer.from(log.text, "utf8");
  const range = /^bytes=-(\d+)$/.exec(String(req.headers.range ?? ""));
  const start = range ? Math.max(0, data.length - Number(range[1])) : 0;
  const body = data.subarray(start);
  record.status = range ? 206 : 200;
  const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8", "content-length": String(body.length) };
  if (range) headers["content-range"] = `bytes ${start}-${data.length - 1}/${data.length}`;
  res.writeHead(record.status, headers).end(body);
}
