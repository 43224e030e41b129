// CI results for the fake GitHub, as GitHub Actions or another CI service would leave them on a
// commit: check runs (GitHub Actions' app), their annotations and job logs, commit statuses.
import type { FakeGitHub } from "./fake-github/index.ts";
import { GITHUB_ACTIONS_APP } from "./fake-github/routes/actions.ts";
import type { CheckRun } from "./fake-github/types.ts";

let nextId = 8_000_000;
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

export interface CiCheckInput {
  repo: string;
  sha: string;
  name: string;
  conclusion?: string | null;
  status?: CheckRun["status"];
  /** The job's log (GitHub Actions): served behind GET …/actions/jobs/{id}/logs. */
  log?: string;
  annotations?: Array<{ path: string; line: number; message: string; title?: string }>;
}

/** A GitHub Actions job's check run on the commit (completed unless `status` says otherwise). */
export function addActionsCheck(gh: FakeGitHub, o: CiCheckInput): CheckRun {
  const status = o.status ?? "completed";
  const run: CheckRun = {
    id: nextId++,
    repo: o.repo,
    headSha: o.sha,
    name: o.name,
    status,
    conclusion: status === "completed" ? (o.conclusion ?? "success") : null,
    detailsUrl: null,
    externalId: null,
    startedAt: now(),
    completedAt: status === "completed" ? now() : null,
    output: { title: null, summary: null, text: null },
    appId: GITHUB_ACTIONS_APP.id,
    history: [],
  };
  gh.state.checkRuns.push(run);
  if (o.log !== undefined) gh.state.jobLogs.push({ repo: o.repo, jobId: run.id, text: o.log, signatures: [] });
  for (const a of o.annotations ?? []) gh.state.checkAnnotations.push({ checkRunId: run.id, path: a.path, startLine: a.line, endLine: a.line, level: "failure", message: a.message, title: a.title ?? null });
  return run;
}

/** A commit status from a CI service that is not a GitHub App. */
export function addCommitStatus(gh: FakeGitHub, o: { repo: string; sha: string; context: string; state: "error" | "failure" | "pending" | "success" }): void {
  gh.state.commitStatuses.push({ ...o, description: null, targetUrl: null, id: nextId++, createdAt: now() });
}
