import { cut } from "../util/cut.ts";
import { z } from "zod";
import type { GitHubClient, RepoCoords } from "./octokit-types.ts";

/**
 * The Checks API's two writes, as GitHub's REST API shapes them (POST …/check-runs, PATCH
 * …/check-runs/{id}), with the installation client. The limits are GitHub's: output.summary and
 * output.text at most 65535 characters; the title is kept short here (it is one line in the UI).
 */

export const CHECK_STATUSES = ["queued", "in_progress", "completed"] as const;
export const CHECK_CONCLUSIONS = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out"] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];
export type CheckConclusion = (typeof CHECK_CONCLUSIONS)[number];

export const MAX_CHECK_SUMMARY = 65_535;
export const MAX_CHECK_TITLE = 255;

/** What a check run shows: its state, one line, a short report, and where the details are. */
export interface CheckRunView {
  status: CheckStatus;
  /** Set exactly when status is "completed". */
  conclusion?: CheckConclusion | undefined;
  title: string;
  summary: string;
  details_url?: string | undefined;
}

const created = z.object({ id: z.number().int() }).loose();

function body(view: CheckRunView, at: string) {
  return {
    status: view.status,
    ...(view.status === "completed" ? { conclusion: view.conclusion ?? "neutral", completed_at: at } : {}),
    ...(view.details_url ? { details_url: view.details_url } : {}),
    output: { title: cut(view.title, MAX_CHECK_TITLE), summary: cut(view.summary, MAX_CHECK_SUMMARY) },
  };
}

/** Creates a check run on headSha; its id. */
export async function createCheckRun(client: GitHubClient, where: RepoCoords, o: { name: string; headSha: string; externalId: string; view: CheckRunView; now: Date }): Promise<number> {
  const response = await client.request("POST /repos/{owner}/{repo}/check-runs", {
    ...where,
    name: o.name,
    head_sha: o.headSha,
    external_id: o.externalId,
    started_at: o.now.toISOString(),
    ...body(o.view, o.now.toISOString()),
  });
  return created.parse(response.data).id;
}

export async function updateCheckRun(client: GitHubClient, where: RepoCoords, id: number, view: CheckRunView, now: Date): Promise<void> {
  await client.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", { ...where, check_run_id: id, ...body(view, now.toISOString()) });
}
