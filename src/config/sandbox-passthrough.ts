import { envSchema } from "./env-schema.ts";

/**
 * Which of the bot's environment variables may ever reach a sandbox. A repository's config names
 * variables in `env:`; only those the operator also lists in SANDBOX_PASSTHROUGH_ENV pass, and the
 * bot's own settings (every variable of the env schema, the model credentials, GitHub/git
 * variables) never, whatever either list says. Pure.
 */

export const PASSTHROUGH_VARIABLE = "SANDBOX_PASSTHROUGH_ENV";
const MODEL_KEYS = new Set(["ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN"]);
const RESERVED_PREFIX = /^(?:GITHUB|GH|GIT)_/;
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** The names the bot reads for itself (src/config/env.ts) and the model credentials. */
export function botSettingNames(): string[] {
  return [...new Set([...Object.keys(envSchema.shape), ...MODEL_KEYS])].sort();
}

/** Why a name may never pass into a sandbox, or undefined when the operator may allow it. */
export function botOwnReason(name: string): string | undefined {
  if (MODEL_KEYS.has(name)) return `\`${name}\` is the model credential: the bot's operator sets it for every run, a repository cannot pass it in`;
  if (RESERVED_PREFIX.test(name)) {
    return `\`${name}\` is reserved (names starting with GITHUB_, GH_ or GIT_): the bot manages git and the GitHub token itself, and a token or git setting passed in would reach Claude and anything an issue talks it into running`;
  }
  if (Object.hasOwn(envSchema.shape, name)) return `\`${name}\` is one of the bot's own settings: it never passes into a sandbox`;
  return undefined;
}

/** SANDBOX_PASSTHROUGH_ENV's names: comma-separated, blanks ignored; empty when unset. */
export function parsePassthroughList(raw: string | undefined): string[] {
  return (raw ?? "").split(",").map((name) => name.trim()).filter((name) => name !== "");
}

/** Start-up problems with SANDBOX_PASSTHROUGH_ENV: a malformed name, or one of the bot's own settings. */
export function passthroughListIssues(raw: string | undefined): Array<{ path: string; message: string }> {
  return parsePassthroughList(raw).flatMap((name) => {
    if (!ENV_NAME.test(name)) return [{ path: PASSTHROUGH_VARIABLE, message: `\`${name}\` is not an environment variable name (upper-case letters, digits and \`_\`): fix or remove it` }];
    const reason = botOwnReason(name);
    return reason ? [{ path: PASSTHROUGH_VARIABLE, message: `${reason}; remove it from ${PASSTHROUGH_VARIABLE}` }] : [];
  });
}

/** Why a repository's `env:` name will not be passed, or undefined when it will. */
export function notPassedReason(name: string, allowList: readonly string[]): string | undefined {
  const own = botOwnReason(name);
  if (own) return own;
  if (allowList.includes(name)) return undefined;
  return `this deployment does not pass \`${name}\` into sandboxes: ask the bot's operator to add it to ${PASSTHROUGH_VARIABLE}, or remove it from \`env\``;
}

/** The value lookup runs use: only allow-listed names that are not the bot's own, else undefined. */
export function createPassthroughLookup(env: NodeJS.ProcessEnv): (name: string) => string | undefined {
  const allowList = parsePassthroughList(env[PASSTHROUGH_VARIABLE]);
  return (name) => (notPassedReason(name, allowList) === undefined ? env[name] : undefined);
}
