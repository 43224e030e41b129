/** A webhook payload reduced to what a run needs. Parsed once, then passed around. */

export interface RepoRef {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  cloneUrl: string;
  htmlUrl: string;
  defaultBranch: string;
  private: boolean;
}

export interface Actor {
  login: string;
  type: "User" | "Bot" | "Organization" | string;
}

export interface IssueCommentTrigger {
  kind: "issue_comment";
  deliveryId: string;
  installationId: number;
  repo: RepoRef;
  sender: Actor;
  issue: { number: number; title: string; body: string; isPullRequest: boolean; htmlUrl: string };
  comment: { id: number; body: string; author: Actor; htmlUrl: string };
}

export type Trigger = IssueCommentTrigger;

/** The identity of a conversation: one Claude session, one branch. */
export function threadKey(repoFullName: string, number: number): string {
  return `${repoFullName.toLowerCase()}#${number}`;
}
