import type { GitHubClient, RepoCoords } from "./octokit-types.ts";
import { hasImageRef, type ThreadImages } from "./thread-images.ts";

/**
 * What the prompt needs from GitHub beyond the payload, through the REST API only: the
 * conversation (the newest comments, bounded) and, for pull requests, the branches, the changed
 * files and a bounded diff.
 */

export interface ConversationComment {
  author?: string | undefined;
  body: string;
  /** GitHub's rendering (full+json): its <img> URLs are the ones to download (signed for private repositories). */
  html?: string | undefined;
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
  /** The issue's or PR's body as GitHub renders it; fetched only when the body holds an image. */
  bodyHtml?: string | undefined;
  /** Set by the image step (runs/image-step.ts) once the images are in the sandbox. */
  images?: ThreadImages | undefined;
}

export const MAX_COMMENTS = 30;
const MAX_FILES = 100;

export interface ThreadContextInput {
  number: number;
  isPullRequest: boolean;
  appLogin: string;
  /** From the payload: when the conversation holds nothing but the request itself, it is not fetched. */
  skipConversation: boolean;
  /** The thread's body from the payload: when it holds an image, its rendering is fetched too. */
  body?: string | undefined;
}

export async function fetchThreadContext(client: GitHubClient, where: RepoCoords, input: ThreadContextInput): Promise<ThreadContext> {
  const { number, appLogin } = input;
  // full+json: body and body_html, whose image URLs work without the token for private repositories.
  const full = { mediaType: { format: "full" } };
  const commentsRequest = input.skipConversation ? Promise.resolve({ data: [] }) : client.rest.issues.listComments({ ...where, issue_number: number, per_page: 100, ...full });
  const pullRequest = input.isPullRequest ? fetchPull(client, where, number) : Promise.resolve(null);
  const bodyRequest = input.body && hasImageRef(input.body) ? client.rest.issues.get({ ...where, issue_number: number, ...full }).then((r) => r.data.body_html) : Promise.resolve(undefined);
  const [{ data }, pull, bodyHtml] = await Promise.all([commentsRequest, pullRequest, bodyRequest]);
  const comments = data
    // The bot's own progress comments and reports are noise to Claude; its session remembers them.
    .filter((c) => c.user?.login.toLowerCase() !== appLogin.toLowerCase())
    .map((c) => ({ author: c.user?.login ?? "ghost", body: c.body ?? "", html: c.body_html, createdAt: c.created_at }))
    .slice(-MAX_COMMENTS);
  return { comments, pull, bodyHtml };
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
