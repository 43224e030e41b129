import type { ProbotOctokit } from "probot";

/** The REST client Probot hands us (installation-authenticated) or app.auth() returns (JWT). */
export type GitHubClient = InstanceType<typeof ProbotOctokit>;
