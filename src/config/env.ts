import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { envSchema } from "./env-schema.ts";
import { createPassthroughLookup, passthroughListIssues } from "./sandbox-passthrough.ts";

/**
 * The one reader of process.env. Every variable the bot understands is declared in
 * env-schema.ts; the README's configuration reference and .env.example follow that schema.
 */

export { envSchema };

/** Rules across variables; checked on the raw values so they are reported alongside type errors. */
function crossFieldIssues(env: NodeJS.ProcessEnv): Array<{ path: string; message: string }> {
  const set = (name: string) => Boolean(env[name]?.trim());
  const issues: Array<{ path: string; message: string }> = [];
  if ((env.SANDBOX_PROVIDER ?? "e2b") === "e2b" && !set("E2B_API_KEY")) {
    issues.push({ path: "E2B_API_KEY", message: "required when SANDBOX_PROVIDER=e2b (get one at e2b.dev, or set SANDBOX_PROVIDER=local for development)" });
  }
  if (!set("ANTHROPIC_API_KEY") && !set("CLAUDE_CODE_OAUTH_TOKEN")) {
    issues.push({ path: "ANTHROPIC_API_KEY", message: "set ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN so Claude Code can reach the model" });
  }
  if (env.DATABASE_URL && !/^(sqlite:|postgres(ql)?:\/\/)/.test(env.DATABASE_URL)) {
    issues.push({ path: "DATABASE_URL", message: "must start with sqlite: (e.g. sqlite:./data/bot.db) or postgres://" });
  }
  issues.push(...passthroughListIssues(env.SANDBOX_PASSTHROUGH_ENV));
  if (env.MODEL_GATEWAY === "on" && (env.SANDBOX_PROVIDER ?? "e2b") === "e2b" && !set("PUBLIC_URL")) {
    issues.push({ path: "PUBLIC_URL", message: "required when MODEL_GATEWAY=on with SANDBOX_PROVIDER=e2b: the bot's externally reachable base URL, which sandboxes call at <PUBLIC_URL>/model" });
  }
  return issues;
}

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** The PEM, read from PRIVATE_KEY_PATH when PRIVATE_KEY is not set. */
  privateKey: string;
  /** The REST API base URL Probot and our clients use. */
  apiBaseUrl: string;
  sandboxCostPerSecondUsd: number;
  /** LOG_FORMAT, else json under NODE_ENV=production and pretty otherwise. */
  logFormat: "json" | "pretty";
}

/** E2B's published per-second prices: $0.000014 per vCPU and $0.0000045 per GiB of memory; our template has 2 vCPU and 4 GiB. */
export const E2B_DEFAULT_COST_PER_SECOND_USD = 2 * 0.000014 + 4 * 0.0000045;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Formats every problem at once, each with the variable's name, so one restart fixes them all. */
export function formatEnvIssues(issues: ReadonlyArray<{ path: string; message: string }>): string {
  const lines = issues.map((issue) => `  - ${issue.path || "(environment)"}: ${issue.message}`);
  return `Invalid configuration (see .env.example and the README's configuration reference):\n${lines.join("\n")}`;
}

/** Accepts a PEM with literal "\n" sequences or base64-encoded, as Probot does; undefined when neither. */
function normalisePrivateKey(raw: string): string | undefined {
  const unescaped = raw.replace(/\\n/g, "\n");
  if (unescaped.includes("-----BEGIN")) return unescaped;
  const decoded = Buffer.from(raw, "base64").toString("utf8");
  return decoded.includes("-----BEGIN") ? decoded : undefined;
}

type Issue = { path: string; message: string };

/** The App's private key from PRIVATE_KEY or PRIVATE_KEY_PATH, or the problem with it (a key that does not parse is caught here, not at the first token). */
function readPrivateKey(env: NodeJS.ProcessEnv, readFile: (path: string) => string): { pem: string } | { issue: Issue } {
  const inline = env.PRIVATE_KEY?.trim() ? env.PRIVATE_KEY : undefined;
  const path = env.PRIVATE_KEY_PATH?.trim();
  const name = inline ? "PRIVATE_KEY" : "PRIVATE_KEY_PATH";
  let raw = inline;
  if (!raw && path) {
    try {
      raw = readFile(path);
    } catch (error) {
      return { issue: { path: "PRIVATE_KEY_PATH", message: `cannot read ${path} (${(error as Error).message})` } };
    }
  }
  if (!raw) return { issue: { path: "PRIVATE_KEY", message: "set PRIVATE_KEY (the PEM) or PRIVATE_KEY_PATH (a file holding it)" } };
  const pem = normalisePrivateKey(raw);
  const where = name === "PRIVATE_KEY" ? "PRIVATE_KEY" : `the file at PRIVATE_KEY_PATH (${path})`;
  if (!pem) return { issue: { path: name, message: `${where} is neither a PEM nor a base64-encoded PEM: download the key (.pem) from the GitHub App's settings page` } };
  try {
    createPrivateKey(pem);
  } catch (error) {
    return { issue: { path: name, message: `${where} is not a valid private key (${(error as Error).message}): download a new key from the GitHub App's settings page` } };
  }
  return { pem };
}

export function readConfig(env: NodeJS.ProcessEnv = process.env, readFile = (p: string) => readFileSync(p, "utf8")): Config {
  const parsed = envSchema.safeParse(env);
  const key = readPrivateKey(env, readFile);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }))),
    ...crossFieldIssues(env),
    ...("issue" in key ? [key.issue] : []),
  ];
  if (!parsed.success || !("pem" in key) || issues.length > 0) throw new ConfigError(formatEnvIssues(issues));
  const e = parsed.data;
  const apiBaseUrl = e.GHE_HOST ? `${e.GHE_PROTOCOL}://${e.GHE_HOST}/api/v3` : "https://api.github.com";
  const sandboxCostPerSecondUsd = e.SANDBOX_COST_PER_SECOND_USD ?? (e.SANDBOX_PROVIDER === "e2b" ? E2B_DEFAULT_COST_PER_SECOND_USD : 0);
  const logFormat = e.LOG_FORMAT ?? (env.NODE_ENV === "production" ? "json" : "pretty");
  return { ...e, privateKey: key.pem, apiBaseUrl, sandboxCostPerSecondUsd, logFormat };
}

/**
 * Values of the variables a repository's config passes into the sandbox. Read here, the one
 * reader of process.env; only names on SANDBOX_PASSTHROUGH_ENV that are not the bot's own
 * settings ever answer (src/config/sandbox-passthrough.ts).
 */
export function createEnvLookup(env: NodeJS.ProcessEnv = process.env): (name: string) => string | undefined {
  return createPassthroughLookup(env);
}

/**
 * The bot's own machine's variables, for the processes it starts there (PATH and the locale for a
 * local sandbox; PATH and the proxy settings for host git). Not settings of the bot, so not in
 * the schema; read here all the same, live (a lookup, not a copy), so this file stays the one
 * reader of process.env.
 */
export function createHostEnvLookup(env: NodeJS.ProcessEnv = process.env): (name: string) => string | undefined {
  return (name) => env[name];
}

/**
 * True when no GitHub App is configured at all (no APP_ID, no key): `npm start` then runs Probot's
 * setup flow. Anything partly configured is a configuration error, named by readConfig.
 */
export function needsAppRegistration(env: NodeJS.ProcessEnv = process.env): boolean {
  const set = (name: string) => Boolean(env[name]?.trim());
  return !set("APP_ID") && !set("PRIVATE_KEY") && !set("PRIVATE_KEY_PATH");
}
