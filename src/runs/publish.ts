import type { GitHubClient } from "../github/octokit-types.ts";
import { openOrFindPull, type PullRef } from "../github/pulls.ts";
import type { TokenMinter } from "../github/tokens.ts";
import type { Sandbox } from "../sandbox/types.ts";
import type { Trigger } from "../triggers/types.ts";
import type { Redactor } from "../util/redact.ts";
import { commitLeftovers, pushBranch, type CommitResult } from "../workspace/workspace.ts";
import { PhaseError } from "./phases.ts";

/** After Claude: commit what it left, and if anything changed, push with a fresh token and open or update the PR. */

export interface PublishInput {
  sandbox: Sandbox;
  client: GitHubClient;
  mintToken: TokenMinter;
  redact: Redactor;
  trigger: Trigger;
  branch: string;
  startSha: string;
  claudeSummary: string;
  runId: number;
}

export type PublishResult = { changed: false } | { changed: true; pr: PullRef; files: CommitResult["files"] };

export async function publish(input: PublishInput): Promise<PublishResult> {
  const { sandbox, trigger: t, redact } = input;
  const commit = await commitLeftovers(sandbox, input.startSha, `Claude: ${t.issue.title} (#${t.issue.number})`).catch((error: unknown) => {
    throw new PhaseError("publish", redact((error as Error).message), { cause: error, category: "git" });
  });
  if (commit.newCommits === 0) return { changed: false };

  const writeToken = await input.mintToken(t.installationId, t.repo.name, "write");
  redact.add(writeToken);
  await pushBranch(sandbox, input.branch, writeToken).catch((error: unknown) => {
    throw new PhaseError("publish", redact((error as Error).message), { cause: error, category: "git" });
  });
  const pr = await openOrFindPull(input.client, { owner: t.repo.owner, repo: t.repo.name }, {
    branch: input.branch,
    base: t.repo.defaultBranch,
    title: t.issue.title,
    body: redact(pullBody(t.issue.number, input.claudeSummary, input.runId)),
    draft: true,
  }).catch((error: unknown) => {
    const status = (error as { status?: number }).status;
    throw new PhaseError(
      "publish",
      `The branch ${input.branch} was pushed, but the pull request could not be opened (HTTP ${status ?? "?"}: ${(error as Error).message}). Open it by hand from the branch, or check the app's pull_requests permission.`,
      { cause: error, category: "github" },
    );
  });
  return { changed: true, pr, files: commit.files };
}

function pullBody(issueNumber: number, claudeSummary: string, runId: number): string {
  const summary = claudeSummary.trim() || "_Claude did not leave a summary._";
  return `Closes #${issueNumber}\n\n${summary}\n\n---\n<sub>Opened by claude-sandbox-bot (run ${runId}). Mention the bot in #${issueNumber} to ask for changes.</sub>`;
}
