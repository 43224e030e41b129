/**
 * One problem with a repository's config file. Its own file because every stage of reading the
 * file (limits, read, _extends, problems) reports these and repo-config.ts imports them all: here
 * none of them has to import repo-config.ts back.
 */
export interface RepoConfigProblem {
  /** The key, e.g. `labels.fix`, `mcpServers.db.url`, `env[2]`; "" for the file as a whole. */
  path: string;
  message: string;
}
