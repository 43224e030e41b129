import type { GitHubClient, RepoCoords } from "./octokit-types.ts";

/**
 * What the prompt needs from GitHub beyond the payload, through the REST API only: the
 * conversation (the newest comments, bounded) and, for pull requests, the branches, the changed
 * files and a bounded diff.
 */

export interface ConversationComment {
  author?: string | undefined;
  body: string;
  createdAt: string;
}

export interface PullContext {
  headRef: string;
  headSha: string;
  baseRef: string;
  /** The head branch lives in another repository: never push there. */
  fromFork: boolean;
  headRepoFullName: string;
  /** Who opened the pull request: GitHub refuses APPROVE and REQUEST_CHANGES from its author. */
  author?: string | undefined;
  files: Array<{ path: string; status: string; additions: number; deletions: number; patch?: string | undefined }>;
}

export interface ThreadContext {
  comments: ConversationComment[];
  pull: PullContext | null;
}

export const MAX_COMMENTS = 30;
const MAX_FILES = 100;

export interface ThreadContextInput {
  number: number;
  isPullRequest: boolean;
  appLogin: string;
  /** From the payload: when the conversation holds nothing but the request itself, it is not fetched. */
  skipConversation: boolean;
}

export async function fetchThreadContext(client: GitHubClient, where: RepoCoords, input: ThreadContextInput): Promise<ThreadContext> {
  const { number, appLogin } = input;
  const commentsRequest = input.skipConversation ? Promise.resolve({ data: [] }) : client.rest.issues.listComments({ ...where, issue_number: number, per_page: 100 });
  const pullRequest = input.isPullRequest ? fetchPull(client, where, number) : Promise.resolve(null);
  const [{ data }, pull] = await Promise.all([commentsRequest, pullRequest]);
  const comments = data
    // The bot's own progress comments and reports are noise to Claude; its session remembers them.
    .filter((c) => c.user?.login.toLowerCase() !== appLogin.toLowerCase())
    .map((c) => ({ author: c.user?.login ?? "ghost", body: c.body ?? "", createdAt: c.created_at }))
    .slice(-MAX_COMMENTS);
  return { comments, pull };
}

async function fetchPull(client: GitHubClient, where: RepoCoords, number: number): Promise<PullContext> {
  const [{ data: pr }, { data: files }] = await Promise.all([
    client.rest.pulls.get({ ...where, pull_number: number }),
    client.rest.pulls.listFiles({ ...where, pull_number: number, per_page: MAX_FILES }),
  ]);
  const headRepo = pr.head.repo?.full_name ?? "";
  return {
    headRef: pr.head.ref,
    headSha: pr.head.sha,
    baseRef: pr.base.ref,
    fromFork: headRepo.toLowerCase() !== `${where.owner}/${where.repo}`.toLowerCase(),
    headRepoFullName: headRepo,
    author: pr.user?.login ?? "",
    files: files.map((f) => ({ path: f.filename, status: f.status, additions: f.additions, deletions: f.deletions, patch: f.patch })),
  };
}
