import { fitBody } from "./body-limit.ts";
import type { GitHubClient, RepoCoords } from "./octokit-types.ts";

/** Finds the thread's open pull request, or opens a draft one. */

export interface PullRef {
  number: number;
  htmlUrl: string;
  created: boolean;
}

export async function findOpenPull(client: GitHubClient, where: RepoCoords, branch: string): Promise<PullRef | null> {
  const { data } = await client.rest.pulls.list({ ...where, state: "open", head: `${where.owner}:${branch}`, per_page: 1 });
  const pr = data[0];
  return pr ? { number: pr.number, htmlUrl: pr.html_url, created: false } : null;
}

export interface OpenPullInput {
  branch: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
}

/**
 * The open PR for the branch, or a new draft one. A branch the bot just created cannot have a PR
 * yet, so it opens one straight away (one API call); GitHub's 422 "already exists" still falls
 * back to finding it.
 */
export async function openOrFindPull(client: GitHubClient, where: RepoCoords, input: OpenPullInput & { branchIsNew: boolean }): Promise<PullRef> {
  if (!input.branchIsNew) {
    const existing = await findOpenPull(client, where, input.branch);
    if (existing) return existing;
  }
  try {
    const { data } = await client.rest.pulls.create({ ...where, head: input.branch, base: input.base, title: input.title, body: fitBody(input.body), draft: input.draft });
    return { number: data.number, htmlUrl: data.html_url, created: true };
  } catch (error) {
    if ((error as { status?: number }).status !== 422) throw error;
    const existing = await findOpenPull(client, where, input.branch);
    if (existing) return existing;
    throw error;
  }
}
