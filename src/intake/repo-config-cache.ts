import { loadRepoConfig, type RepoConfigOptions, type RepoConfigResult } from "../config/repo-config.ts";
import type { ConfigClient } from "../config/repo-config-read.ts";

/**
 * The repository's .github/claude-sandbox-bot.yml (src/config/repo-config.ts reads it, bounded),
 * cached briefly per repository: every delivery needs it to decide, and reading it costs one or
 * two API calls. A change to the file applies within the TTL. `peek` answers from the cache
 * only, so intake can use a fresh copy without asking who the sender is first.
 */
export interface RepoConfigCache {
  (repo: { owner: string; name: string; fullName: string }, client: ConfigClient): Promise<RepoConfigResult>;
  peek?(repoFullName: string): RepoConfigResult | undefined;
}

export function createRepoConfigCache(ttlMs: number, options: RepoConfigOptions = {}, now: () => number = Date.now): RepoConfigCache {
  const cache = new Map<string, { at: number; result: RepoConfigResult }>();
  const fresh = (repoFullName: string) => {
    const hit = cache.get(repoFullName.toLowerCase());
    return hit && now() - hit.at < ttlMs ? hit.result : undefined;
  };
  const load = async (repo: { owner: string; name: string; fullName: string }, client: ConfigClient): Promise<RepoConfigResult> => {
    const hit = fresh(repo.fullName);
    if (hit) return hit;
    const result = await loadRepoConfig(client, { owner: repo.owner, repo: repo.name }, options);
    cache.set(repo.fullName.toLowerCase(), { at: now(), result });
    return result;
  };
  return Object.assign(load, { peek: fresh });
}
