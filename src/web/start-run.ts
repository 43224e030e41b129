import { cut } from "../util/cut.ts";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { z } from "zod";
import { loadRepoConfig } from "../config/repo-config.ts";
import type { ConfigClient } from "../config/repo-config-read.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import type { RunQueue } from "../jobs/types.ts";
import { admitRun } from "../runs/admit.ts";
import type { RunRecord, Store } from "../store/types.ts";
import { apiBranch, branchPrefixFor } from "../triggers/branch-name.ts";
import { apiThreadKey, threadKey, type Trigger } from "../triggers/types.ts";

/**
 * Starting a run from the run API, like a mention would: the repository's config applies, the
 * run is queued in the same store and queue, and — when an issue is named — the progress comment
 * and report go to that issue. Without an issue the run has a thread of its own (no comments).
 * Over the daily budget the answer is 429 and nothing runs.
 */

export const startRunSchema = z.object({
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "repo must be owner/name"),
  prompt: z.string().trim().min(1, "prompt must not be empty").max(50_000),
  issue: z.number().int().positive().optional(),
  branch: z
    .string()
    .regex(/^(?!\/|.*\/\/|.*\.\.|.*\.lock$)[\w./-]+$/, "branch is not a valid branch name")
    .max(200)
    .optional(),
});
export type StartRunInput = z.infer<typeof startRunSchema>;

export const continueRunSchema = z.object({ prompt: z.string().trim().min(1, "prompt must not be empty").max(50_000) });

export interface ApiRunDeps {
  store: Store;
  queue: RunQueue;
  appClient: () => Promise<GitHubClient>;
  installationClient: (installationId: number) => Promise<GitHubClient>;
  /** Who asked, for the record (e.g. "api"). */
  actor: string;
  /** The deployment's BRANCH_PREFIX, for repositories that set no `branchPrefix`. */
  branchPrefix: string;
  installationDailyUsd?: number | undefined;
  /** RUN_API_ALLOW_DEFAULT_BRANCH: whether `branch` may be the default branch or a protected one. */
  allowDefaultBranch?: boolean;
  /** SANDBOX_PASSTHROUGH_ENV, parsed: the names a repository's `env:` may ask for (as for a mention). */
  passthrough: readonly string[];
  log: Logger;
}

export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const statusOf = (error: unknown) => (error as { status?: number }).status;

export async function startApiRun(deps: ApiRunDeps, input: StartRunInput): Promise<RunRecord> {
  const [owner, name] = input.repo.split("/") as [string, string];
  const app = await deps.appClient();
  const installation = await app.rest.apps.getRepoInstallation({ owner, repo: name }).catch((error: unknown) => {
    throw new ApiError(statusOf(error) === 404 ? 404 : 502, `The app is not installed on ${input.repo} (or it does not exist): install it there first.`);
  });
  const client = await deps.installationClient(installation.data.id);
  const { data: repo } = await client.rest.repos.get({ owner, repo: name });
  if (input.branch && !deps.allowDefaultBranch) await refuseGuardedBranch(client, { owner, repo: name }, input.branch, repo.default_branch);
  const loaded = await loadRepoConfig(client as unknown as ConfigClient, { owner, repo: name }, { passthrough: deps.passthrough });
  if (!loaded.ok) throw new ApiError(422, loaded.message);

  const id = randomUUID().slice(0, 8);
  let thread: Trigger["thread"] = { number: 0, isPullRequest: false, title: firstLine(input.prompt), body: input.prompt, htmlUrl: repo.html_url, author: deps.actor };
  if (input.issue) {
    const { data: issue } = await client.rest.issues.get({ owner, repo: name, issue_number: input.issue }).catch((error: unknown) => {
      throw new ApiError(statusOf(error) === 404 ? 404 : 502, `Issue #${input.issue} was not found in ${input.repo}.`);
    });
    thread = { number: issue.number, isPullRequest: Boolean(issue.pull_request), title: issue.title, body: issue.body ?? "", htmlUrl: issue.html_url, author: issue.user?.login ?? "ghost" };
  }
  const trigger: Trigger = {
    kind: "api",
    deliveryId: `api-${id}`,
    installationId: installation.data.id,
    repo: { id: repo.id, owner, name, fullName: repo.full_name, htmlUrl: repo.html_url, defaultBranch: repo.default_branch, private: repo.private },
    actor: { login: deps.actor, type: "User" },
    thread,
    source: { type: "api" },
    text: input.prompt,
    mode: "code",
    config: loaded.config,
    branch: input.branch ?? (input.issue ? undefined : apiBranch(branchPrefixFor(loaded.config.branchPrefix, deps.branchPrefix), id)),
  };
  const key = input.issue ? threadKey(repo.full_name, input.issue) : apiThreadKey(repo.full_name, id);
  return enqueue(deps, client, key, trigger);
}

/**
 * An API run pushes to the branch it names: never the default branch nor a protected one, unless
 * the operator allowed it (RUN_API_ALLOW_DEFAULT_BRANCH=true). A branch that does not exist yet is fine.
 */
async function refuseGuardedBranch(client: GitHubClient, where: { owner: string; repo: string }, branch: string, defaultBranch: string): Promise<void> {
  const allow = "set RUN_API_ALLOW_DEFAULT_BRANCH=true in the bot's environment to allow it, or name another branch (or none: the bot makes one)";
  if (branch === defaultBranch) throw new ApiError(403, `"${branch}" is ${where.owner}/${where.repo}'s default branch: the run API does not push to it; ${allow}.`);
  const found = await client.rest.repos.getBranch({ ...where, branch }).catch((error: unknown) => {
    if (statusOf(error) === 404) return null;
    throw new ApiError(502, `Could not read branch "${branch}" of ${where.owner}/${where.repo} from GitHub (${(error as Error).message}); try again.`);
  });
  if (found?.data.protected) throw new ApiError(403, `"${branch}" is a protected branch of ${where.owner}/${where.repo}: the run API does not push to it; ${allow}.`);
}

/** Another message in the same conversation as an earlier run: same thread, same session. */
export async function continueApiRun(deps: ApiRunDeps, runId: number, prompt: string): Promise<RunRecord> {
  const previous = await deps.store.getRun(runId);
  if (!previous) throw new ApiError(404, `Run ${runId} does not exist.`);
  const client = await deps.installationClient(previous.trigger.installationId);
  const trigger: Trigger = { ...previous.trigger, kind: "api", source: { type: "api" }, text: prompt, deliveryId: `api-${randomUUID().slice(0, 8)}`, actor: { login: deps.actor, type: "User" } };
  return enqueue(deps, client, previous.threadKey, trigger);
}

/** Recorded, then admitted like a mention (runs/admit.ts): the admin token has authorised the caller already. */
async function enqueue(deps: ApiRunDeps, client: GitHubClient, key: string, trigger: Trigger): Promise<RunRecord> {
  const run = await deps.store.createRun({ threadKey: key, deliveryId: trigger.deliveryId, trigger });
  const admission = await admitRun(deps, run, { client, authorize: async () => true, log: deps.log.child({ run: run.id }) });
  if (admission.admitted) return admission.run;
  if (admission.reason === "over-budget") throw new ApiError(429, admission.message);
  throw admission.reason === "failed" ? admission.error : new Error(`run ${run.id} was refused (${admission.reason})`);
}

function firstLine(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return cut(line, 72);
}
