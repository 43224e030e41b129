import type { ProbotOctokit } from "probot";

/** The REST client Probot hands us (installation-authenticated) or app.auth() returns (JWT). */
export type GitHubClient = InstanceType<typeof ProbotOctokit>;

/** Owner and repository name, as every REST call takes them. */
export interface RepoCoords {
  owner: string;
  repo: string;
}
