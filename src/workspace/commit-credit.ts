import { withTrailers } from "./co-authors.ts";
import type { MirrorPlumbing } from "./host-git.ts";

/**
 * Adds trailers to a run's commits on the bot's mirror, before anything is published: each commit
 * is written again with the same tree, author, committer and dates, its message carrying the
 * trailers, its parents the rewritten ones. The agent's own message is kept, whole.
 */

/** Rewrites `startSha..ref` and moves `ref` to the new tip, which it returns. Nothing to add: nothing changes. */
export async function creditCommits(git: MirrorPlumbing, ref: string, startSha: string, trailers: string[]): Promise<string> {
  const tip = (await git(["rev-parse", "--verify", `${ref}^{commit}`])).toString("utf8").trim();
  const shas = (await git(["rev-list", "--reverse", "--topo-order", `${startSha}..${ref}`])).toString("utf8").split("\n").filter(Boolean);
  if (trailers.length === 0 || shas.length === 0) return tip;
  const rewritten = new Map<string, string>();
  for (const sha of shas) {
    const raw = (await git(["cat-file", "commit", sha])).toString("latin1");
    const object = rewriteCommitObject(raw, rewritten, trailers);
    rewritten.set(sha, (await git(["hash-object", "-t", "commit", "-w", "--stdin"], Buffer.from(object, "latin1"))).toString("utf8").trim());
  }
  const next = rewritten.get(shas[shas.length - 1]!)!;
  await git(["update-ref", ref, next, tip]);
  return next;
}

/**
 * A raw commit object (read as latin1, so every byte survives) with its parents mapped and the
 * trailers added. A signature header is dropped: it would no longer match the object. Pure.
 */
export function rewriteCommitObject(raw: string, parents: ReadonlyMap<string, string>, trailers: string[]): string {
  const split = raw.indexOf("\n\n");
  const headerText = split < 0 ? raw.replace(/\n$/, "") : raw.slice(0, split);
  const message = split < 0 ? "" : raw.slice(split + 2);
  const headers: string[] = [];
  let inSignature = false;
  for (const line of headerText.split("\n")) {
    if (line.startsWith(" ")) {
      if (!inSignature) headers.push(line);
      continue;
    }
    inSignature = /^gpgsig(-sha256)? /.test(line);
    if (inSignature) continue;
    const parent = /^parent ([0-9a-f]{40,64})$/.exec(line);
    headers.push(parent ? `parent ${parents.get(parent[1]!) ?? parent[1]}` : line);
  }
  return `${headers.join("\n")}\n\n${withTrailers(message, trailers)}`;
}
