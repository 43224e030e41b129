import type { GitHubClient } from "./octokit-types.ts";

/** Issue-comment writes: the progress comment is created once, then edited in place. */

export interface RepoCoords {
  owner: string;
  repo: string;
}

export async function createIssueComment(client: GitHubClient, where: RepoCoords, issueNumber: number, body: string): Promise<number> {
  const { data } = await client.rest.issues.createComment({ ...where, issue_number: issueNumber, body });
  return data.id;
}

export async function updateIssueComment(client: GitHubClient, where: RepoCoords, commentId: number, body: string): Promise<void> {
  await client.rest.issues.updateComment({ ...where, comment_id: commentId, body });
}

export async function reactToIssueComment(client: GitHubClient, where: RepoCoords, commentId: number, content: "eyes" | "+1" | "confused"): Promise<void> {
  await client.rest.reactions.createForIssueComment({ ...where, comment_id: commentId, content });
}
