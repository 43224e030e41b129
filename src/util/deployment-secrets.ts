import type { Config } from "../config/env.ts";

/**
 * The one list of the deployment's secret values: the model keys, the webhook secret, the E2B
 * key, the admin and metrics tokens, the app's private key. The log stream (main.ts → the process
 * registry), the dashboard and run API (web/web-handler.ts) and a run's redactor hide these, plus
 * the values a repository's config passes into its sandbox (`passedValues`). Minted tokens are
 * added where they are minted. Pure.
 */

export type SecretSettings = Partial<Pick<Config, "ANTHROPIC_API_KEY" | "CLAUDE_CODE_OAUTH_TOKEN" | "WEBHOOK_SECRET" | "E2B_API_KEY" | "ADMIN_TOKEN" | "METRICS_TOKEN" | "privateKey">>;

export function deploymentSecrets(config: SecretSettings): string[] {
  const values = [config.ANTHROPIC_API_KEY, config.CLAUDE_CODE_OAUTH_TOKEN, config.WEBHOOK_SECRET, config.E2B_API_KEY, config.ADMIN_TOKEN, config.METRICS_TOKEN, config.privateKey];
  return values.filter((v): v is string => typeof v === "string" && v !== "");
}

/** The values of the variables a repository's config passes into its sandbox (`env:`), those that are set. */
export function passedValues(names: readonly string[], lookupEnv: (name: string) => string | undefined): string[] {
  return names.flatMap((name) => {
    const value = lookupEnv(name);
    return value === undefined || value === "" ? [] : [value];
  });
}
