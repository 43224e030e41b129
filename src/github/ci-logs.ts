import { sanitizeUserText } from "../agent/sanitize.ts";
import type { CheckRunFact, CheckSuiteFact, CiChecks, FailedCheckRef, StatusFact } from "../triggers/ci-trigger.ts";
import type { FailedCheck } from "../triggers/types.ts";
import type { Redactor } from "../util/redact.ts";
import type { GitHubClient, RepoCoords } from "./octokit-types.ts";

/**
 * What a head commit's CI says, over REST: its check runs, check suites and commit statuses; for
 * the failed ones, their annotations and the tail of each GitHub Actions job's log. Log text is
 * outside input: bounded, redacted, sanitised like a comment, and only downloaded from GitHub's
 * own hosts (the logs endpoint answers 302 with a pre-signed URL, which gets no credentials).
 */

export const MAX_LOG_TAIL_BYTES = 20 * 1024;
/** Past this much a log download stops (the tail read so far is kept). */
const MAX_LOG_DOWNLOAD_BYTES = 8 * 1024 * 1024;
const LOG_TIMEOUT_MS = 15_000;
/** Failed checks whose details are fetched; the rest are named only. */
export const MAX_DETAILED_CHECKS = 5;
const MAX_ANNOTATIONS = 20;

type App = { slug?: string | undefined } | null | undefined;

export async function fetchCiChecks(client: GitHubClient, where: RepoCoords, ref: string): Promise<CiChecks> {
  const [runs, suites, status] = await Promise.all([
    client.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { ...where, ref, per_page: 100 }),
    client.request("GET /repos/{owner}/{repo}/commits/{ref}/check-suites", { ...where, ref, per_page: 100 }),
    client.request("GET /repos/{owner}/{repo}/commits/{ref}/status", { ...where, ref, per_page: 100 }),
  ]);
  const slug = (app: App) => app?.slug ?? null;
  const checkRuns: CheckRunFact[] = runs.data.check_runs.map((r) => ({ id: Number(r.id), name: r.name, status: r.status, conclusion: r.conclusion, appSlug: slug(r.app), url: r.html_url ?? r.details_url ?? null }));
  const checkSuites: CheckSuiteFact[] = suites.data.check_suites.map((s) => ({ status: s.status, appSlug: slug(s.app), runCount: s.latest_check_runs_count ?? 0 }));
  const statuses: StatusFact[] = status.data.statuses.map((s) => ({ context: s.context, state: s.state, url: s.target_url ?? null }));
  return { checkRuns, suites: checkSuites, statuses };
}

/** The failed checks with their details (the first MAX_DETAILED_CHECKS; any fetch that fails leaves its part empty). */
export async function describeFailures(client: GitHubClient, where: RepoCoords, failed: readonly FailedCheckRef[], redact: Redactor): Promise<FailedCheck[]> {
  return Promise.all(
    failed.map(async (f, i): Promise<FailedCheck> => {
      const detailed = i < MAX_DETAILED_CHECKS && f.checkRunId !== null;
      const [annotations, log] = await Promise.all([
        detailed ? fetchAnnotations(client, where, f.checkRunId as number).catch(() => []) : [],
        detailed && f.actionsJob ? fetchJobLogTail(client, where, f.checkRunId as number).catch(() => null) : null,
      ]);
      const clean = (text: string) => sanitizeUserText(redact(text));
      return {
        name: clean(f.name),
        conclusion: f.conclusion,
        url: f.url,
        annotations: annotations.map((a) => ({ ...a, path: clean(a.path), message: clean(a.message) })),
        logTail: log === null ? null : clean(log),
      };
    }),
  );
}

async function fetchAnnotations(client: GitHubClient, where: RepoCoords, checkRunId: number): Promise<FailedCheck["annotations"]> {
  const { data } = await client.request("GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", { ...where, check_run_id: checkRunId, per_page: MAX_ANNOTATIONS });
  return data.slice(0, MAX_ANNOTATIONS).map((a) => ({ path: a.path, line: a.start_line ?? null, level: a.annotation_level ?? "failure", message: `${a.title ? `${a.title}: ` : ""}${a.message ?? ""}`.slice(0, 1_000) }));
}

/**
 * Whether a log download URL is one of GitHub's: the API's own host (GHE, or the test fake) and,
 * for github.com, its hosts and the Actions result storage. https only, unless the API itself is
 * plain http (a GHE_PROTOCOL=http deployment). Pure.
 */
export function isGitHubDownloadHost(location: string, apiBaseUrl: string): boolean {
  let url: URL;
  let api: URL;
  try {
    url = new URL(location);
    api = new URL(apiBaseUrl);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (url.protocol !== "https:" && !(url.protocol === "http:" && api.protocol === "http:" && url.host === api.host)) return false;
  const host = url.hostname.toLowerCase();
  if (url.host === api.host) return true;
  if (api.hostname !== "api.github.com") return host.endsWith(`.${api.hostname.replace(/^api\./, "")}`);
  return host === "github.com" || host.endsWith(".github.com") || host.endsWith(".githubusercontent.com") || /^productionresultssa\d+\.blob\.core\.windows\.net$/.test(host);
}

/** The last MAX_LOG_TAIL_BYTES of an Actions job's log (the check run's id is the job's). */
export async function fetchJobLogTail(client: GitHubClient, where: RepoCoords, jobId: number, fetchImpl: typeof fetch = fetch): Promise<string | null> {
  const response = await client.request("GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs", { ...where, job_id: jobId, request: { redirect: "manual" } });
  const location = (response.headers as Record<string, string | undefined>)["location"];
  if (response.status !== 302 || !location) return typeof response.data === "string" ? tail(Buffer.from(response.data)) : null;
  if (!isGitHubDownloadHost(location, client.request.endpoint.DEFAULTS.baseUrl)) return null;
  const download = await fetchImpl(location, { redirect: "error", headers: { range: `bytes=-${MAX_LOG_TAIL_BYTES}` }, signal: AbortSignal.timeout(LOG_TIMEOUT_MS) });
  if (!download.ok || !download.body) return null;
  // 206 from past the start (Content-Range: bytes <start>-<end>/<size>): the first line is most likely cut.
  const start = Number(/^bytes (\d+)-/.exec(download.headers.get("content-range") ?? "")?.[1] ?? 0);
  return readTail(download.body, download.status === 206 && start > 0);
}

async function readTail(body: ReadableStream<Uint8Array>, partial: boolean): Promise<string> {
  let kept = Buffer.alloc(0);
  let read = 0;
  for await (const chunk of body) {
    read += chunk.length;
    kept = Buffer.concat([kept, chunk]);
    if (kept.length > MAX_LOG_TAIL_BYTES * 2) kept = kept.subarray(kept.length - MAX_LOG_TAIL_BYTES);
    if (read > MAX_LOG_DOWNLOAD_BYTES) break;
  }
  return tail(kept, partial);
}

/** The tail, cut at a line start, without Actions' timestamps and terminal colours. */
function tail(bytes: Buffer, partial = false): string {
  const cut = bytes.length > MAX_LOG_TAIL_BYTES ? bytes.subarray(bytes.length - MAX_LOG_TAIL_BYTES) : bytes;
  let text = cut.toString("utf8");
  if (cut !== bytes || partial) text = text.slice(text.indexOf("\n") + 1);
  return text
    .replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "")
    .replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /gm, "")
    .trimEnd();
}
