import type { AddedText } from "./added-text.ts";
import { creditCommits } from "./commit-credit.ts";
import { createCommitsThroughApi, readRunCommits, unsignedReason, type ApiPublishResult, type GitDataApi } from "./git-data-commit.ts";
import type { HostGit } from "./host-git.ts";

/**
 * One run's view of the repository's mirror on the bot's machine (host-git.ts): the run's start
 * commit is made sure of while Claude works; afterwards the sandbox's bundle is imported under
 * the run's own ref, credited, and published from here — through the API (verified commits) or
 * pushed. The token for the push never enters the sandbox.
 */
export interface HostRepo {
  /** Takes the sandbox's bundle (startSha..HEAD); returns what the new commits add (messages included). */
  importBundle(bundle: Uint8Array): Promise<AddedText>;
  /** Adds these trailers (Co-authored-by…) to every imported commit's message; trees, authors and dates stay. Returns the new tip. */
  credit(trailers: string[]): Promise<string>;
  /**
   * Makes the imported commits again through the Git Data API and moves the branch to them.
   * When the API cannot express them (or builds something else), the branch is not moved and the reason comes back (push instead).
   */
  publishThroughApi(api: GitDataApi, branch: string, branchIsNew: boolean): Promise<ApiPublishResult>;
  /** Pushes the imported commits to the branch. Never forces: someone else's commits are kept. */
  push(branch: string, token: string): Promise<void>;
  dispose(): Promise<void>;
}

export interface OpenHostRepoInput {
  hostGit: HostGit;
  cloneUrl: string;
  startSha: string;
  readToken: string;
  runId: number;
}

export async function openHostRepo({ hostGit, cloneUrl, startSha, readToken, runId }: OpenHostRepoInput): Promise<HostRepo> {
  await hostGit.ensureCommit(cloneUrl, readToken, startSha);
  const ref = `refs/csb/run/${runId}`;
  return {
    importBundle: (bundle) => hostGit.importBundle(cloneUrl, ref, bundle, startSha),
    credit: (trailers) => hostGit.withPlumbing(cloneUrl, (git) => creditCommits(git, ref, startSha, trailers)),
    publishThroughApi: (api, branch, branchIsNew) =>
      hostGit.withPlumbing(cloneUrl, async (git) => {
        const commits = await readRunCommits(git, startSha, ref);
        const reason = unsignedReason(commits);
        if (reason) return { published: false, reason };
        return createCommitsThroughApi(api, git, commits, branch, branchIsNew);
      }),
    push: (branch, token) => hostGit.push(cloneUrl, ref, branch, token),
    dispose: () => hostGit.dropRef(cloneUrl, ref).catch(() => undefined),
  };
}
