/**
 * Where the bot's git talks to: the configured GitHub host (GHE_HOST with GHE_PROTOCOL, or
 * github.com) and the repository's owner and name. Never a URL from a webhook payload or an API
 * answer: a payload's `clone_url` naming another host would send that host the installation
 * tokens that go with the clone and the push. Pure.
 */

export interface GitHostSettings {
  GHE_HOST?: string | undefined;
  GHE_PROTOCOL: "http" | "https";
}

/** `https://github.com`, or `<GHE_PROTOCOL>://<GHE_HOST>` for GitHub Enterprise Server. */
export function gitBaseUrl(settings: GitHostSettings): string {
  return settings.GHE_HOST ? `${settings.GHE_PROTOCOL}://${settings.GHE_HOST}` : "https://github.com";
}

// GitHub's own rules: a login is letters, digits and single hyphens (at most 39); a repository
// name is letters, digits, ".", "-" and "_" (at most 100), and never "." or "..".
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

export class RepoNameError extends Error {
  override name = "RepoNameError";
}

/** The repository's clone (and push) URL on the configured host; throws for a name GitHub would not give a repository. */
export function repoCloneUrl(baseUrl: string, owner: string, name: string): string {
  if (!OWNER.test(owner) || !NAME.test(name) || name === "." || name === "..") {
    throw new RepoNameError(`"${owner.slice(0, 60)}/${name.slice(0, 110)}" is not a GitHub repository name, so the bot will not build a clone URL from it`);
  }
  return `${baseUrl}/${owner}/${name}.git`;
}
