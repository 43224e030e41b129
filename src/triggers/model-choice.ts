import type { RepoConfig } from "../config/repo-config.ts";

/**
 * Which model a run uses. A request may name one (`@bot /model <name>`); it must be one the
 * repository allows (`models.allowed`), and the default model is always allowed. The default is
 * `models.default`, else the older `model` key, else the deployment's CLAUDE_MODEL (else the
 * CLI's own, which has no name here). Pure.
 */

type ModelsConfig = Pick<RepoConfig, "model" | "models">;

export function defaultModel(config: ModelsConfig, deploymentDefault: string | undefined): string | undefined {
  return config.models?.default ?? config.model ?? deploymentDefault;
}

/** The names a request may pick: the default first, then the repository's list. */
export function allowedModels(config: ModelsConfig, deploymentDefault: string | undefined): string[] {
  const fallback = defaultModel(config, deploymentDefault);
  const names = [...(fallback ? [fallback] : []), ...(config.models?.allowed ?? [])];
  return names.filter((name, i) => names.findIndex((n) => sameModel(n, name)) === i);
}

const sameModel = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export type ModelCheck = { ok: true; model: string } | { ok: false; allowed: string[] };

/** A requested name, as the config spells it when allowed. */
export function checkModel(requested: string, config: ModelsConfig, deploymentDefault: string | undefined): ModelCheck {
  const allowed = allowedModels(config, deploymentDefault);
  const found = allowed.find((name) => sameModel(name, requested));
  return found ? { ok: true, model: found } : { ok: false, allowed };
}

/**
 * The run's model: the one its request named (checked at intake), else the thread's last one while
 * the configuration still allows it, else the default.
 */
export function runModel(requested: string | undefined, threadModel: string | null | undefined, config: ModelsConfig, deploymentDefault: string | undefined): string | undefined {
  for (const name of [requested, threadModel]) {
    if (!name) continue;
    const check = checkModel(name, config, deploymentDefault);
    if (check.ok) return check.model;
  }
  return defaultModel(config, deploymentDefault);
}

/** The refusal for a name that is not allowed. */
export function modelRefusal(requested: string, allowed: readonly string[]): string {
  const list = allowed.length > 0 ? allowed.map((name) => `\`${name}\``).join(", ") : "none: this repository runs the default model only";
  return `I can't use the model \`${requested}\` here, so I did not start anything. The models this repository allows: ${list}. Its configuration lists more under \`models.allowed\`.`;
}
