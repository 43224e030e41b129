import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, createEnvLookup, readConfig } from "../../src/config/env.ts";
import { parseRepoConfig } from "../../src/config/repo-config.ts";

/** Issue 13, item 1: a repository's `env:` must not pull the bot's own secrets into the sandbox. */

const BOT_ENV = {
  PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----secret",
  WEBHOOK_SECRET: "hook-secret",
  ADMIN_TOKEN: "admin-token-0123456789",
  DATABASE_URL: "postgres://u:p@db/bot",
  E2B_API_KEY: "e2b-key",
  ANTHROPIC_API_KEY: "sk-ant-key",
  GITHUB_TOKEN: "ghs_x",
  NPM_TOKEN: "npm-secret",
  OTHER_SECRET: "not-allowed",
};
const ATTACK = ["PRIVATE_KEY", "WEBHOOK_SECRET", "ADMIN_TOKEN", "DATABASE_URL", "E2B_API_KEY"];

describe("the sandbox's environment from a repository's env list", () => {
  it("never looks up the bot's own settings, even when the operator lists them", () => {
    const lookup = createEnvLookup({ ...BOT_ENV, SANDBOX_PASSTHROUGH_ENV: [...ATTACK, "ANTHROPIC_API_KEY", "GITHUB_TOKEN", "NPM_TOKEN"].join(",") });
    for (const name of [...ATTACK, "ANTHROPIC_API_KEY", "GITHUB_TOKEN", "SANDBOX_PASSTHROUGH_ENV"]) expect(lookup(name), name).toBeUndefined();
    expect(lookup("NPM_TOKEN")).toBe("npm-secret");
  });

  it("passes nothing by default, and only allow-listed names otherwise", () => {
    expect(createEnvLookup(BOT_ENV)("NPM_TOKEN")).toBeUndefined();
    const lookup = createEnvLookup({ ...BOT_ENV, SANDBOX_PASSTHROUGH_ENV: " NPM_TOKEN , " });
    expect(lookup("NPM_TOKEN")).toBe("npm-secret");
    expect(lookup("OTHER_SECRET")).toBeUndefined();
  });

  it("refuses a config naming the bot's settings, saying they are never passed", () => {
    const result = parseRepoConfig({ env: ATTACK }, undefined, { passthrough: ATTACK });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path)).toEqual(ATTACK.map((_, i) => `env[${i}]`));
    for (const p of result.problems) expect(p.message).toMatch(/is one of the bot's own settings: it never passes into a sandbox/);
  });

  it("refuses a name the deployment does not allow, with what to do", () => {
    const result = parseRepoConfig({ env: ["NPM_TOKEN", "OTHER_SECRET"] }, undefined, { passthrough: ["NPM_TOKEN"] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([{ path: "env[1]", message: expect.stringMatching(/does not pass `OTHER_SECRET`.*add it to SANDBOX_PASSTHROUGH_ENV, or remove it from `env`/) }]);
    expect(result.message).toContain("The run was not started");
    expect(parseRepoConfig({ env: ["NPM_TOKEN"] }, undefined, { passthrough: ["NPM_TOKEN"] }).ok).toBe(true);
  });

  it("refuses the bot's own settings in SANDBOX_PASSTHROUGH_ENV at start-up", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const env = {
      APP_ID: "1",
      PRIVATE_KEY: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      WEBHOOK_SECRET: "s",
      SANDBOX_PROVIDER: "local",
      ANTHROPIC_API_KEY: "k",
      SANDBOX_PASSTHROUGH_ENV: "NPM_TOKEN,PRIVATE_KEY,GH_TOKEN,bad-name",
    };
    expect(() => readConfig(env)).toThrow(ConfigError);
    expect(() => readConfig(env)).toThrow(/SANDBOX_PASSTHROUGH_ENV: `PRIVATE_KEY` is one of the bot's own settings.*remove it from SANDBOX_PASSTHROUGH_ENV/);
    expect(() => readConfig(env)).toThrow(/`GH_TOKEN` is reserved/);
    expect(() => readConfig(env)).toThrow(/`bad-name` is not an environment variable name/);
    expect(readConfig({ ...env, SANDBOX_PASSTHROUGH_ENV: "NPM_TOKEN" }).SANDBOX_PASSTHROUGH_ENV).toBe("NPM_TOKEN");
  });
});
