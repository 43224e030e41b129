import { CONFIG_FILE_PATH, loadRepoConfig, type RepoConfigOptions, type RepoConfigResult } from "../config/repo-config.ts";

/**
 * The repository's .github/claude-sandbox-bot.yml, read through Probot's context.config and
 * cached briefly per repository: every delivery needs it to decide, and reading it costs one or
 * two API calls on the acknowledgement's path. A change to the file applies within the TTL.
 */
export interface ConfigSource {
  config(name: string): Promise<unknown>;
}

export function createRepoConfigCache(ttlMs: number, options: RepoConfigOptions = {}, now: () => number = Date.now) {
  const cache = new Map<string, { at: number; result: RepoConfigResult }>();
  return async (repoFullName: string, source: ConfigSource): Promise<RepoConfigResult> => {
    const key = repoFullName.toLowerCase();
    const hit = cache.get(key);
    if (hit && now() - hit.at < ttlMs) return hit.result;
    const result = await loadRepoConfig(source, CONFIG_FILE_PATH, options);
    cache.set(key, { at: now(), result });
    return result;
  };
}
