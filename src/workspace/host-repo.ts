import type { AddedText } from "./added-text.ts";
import type { HostGit } from "./host-git.ts";

/**
 * One run's view of the repository's mirror on the bot's machine (host-git.ts): the run's start
 * commit is made sure of while Claude works; afterwards the sandbox's bundle is imported under
 * the run's own ref and pushed from here. The token for the push never enters the sandbox.
 */
export interface HostRepo {
  /** Takes the sandbox's bundle (startSha..HEAD); returns what the new commits add (messages included). */
  importBundle(bundle: Uint8Array): Promise<AddedText>;
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
    push: (branch, token) => hostGit.push(cloneUrl, ref, branch, token),
    dispose: () => hostGit.dropRef(cloneUrl, ref).catch(() => undefined),
  };
}
