/**
 * Hands an installation token to git through the environment of the one command that talks to
 * the git host: git reads GIT_CONFIG_COUNT/KEY/VALUE as if they were `-c` options, so nothing
 * lands in .git/config, the remote URL or any file, and argv (visible in ps) does not carry it.
 */
export function authHeader(token: string): string {
  return `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
}

export function gitAuthEnv(token: string): Record<string, string> {
  return {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: authHeader(token),
    GIT_TERMINAL_PROMPT: "0",
  };
}

/** Every git command, authenticated or not, must fail rather than wait for a password. */
export const GIT_NO_PROMPT: Record<string, string> = { GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "/bin/true" };
