import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, needsAppRegistration, readConfig } from "../../src/config/env.ts";

const PEM = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

function messageOf(env: NodeJS.ProcessEnv, readFile?: (path: string) => string): string {
  try {
    readConfig(env, readFile);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("readConfig accepted the environment");
}
const valid = { APP_ID: "123", PRIVATE_KEY: PEM, WEBHOOK_SECRET: "s3cret", SANDBOX_PROVIDER: "local", ANTHROPIC_API_KEY: "sk-ant-test-key" };

describe("readConfig", () => {
  it("applies the documented defaults", () => {
    const config = readConfig(valid);
    expect(config).toMatchObject({
      APP_ID: 123,
      PORT: 3000,
      DATABASE_URL: "sqlite:./data/bot.db",
      CLAUDE_COMMAND: "claude",
      E2B_TEMPLATE: "claude-sandbox-bot",
      BRANCH_PREFIX: "claude/",
      apiBaseUrl: "https://api.github.com",
    });
    expect(config.TRIGGER_PHRASE).toBeUndefined();
    expect(config.privateKey).toBe(PEM);
  });

  it("points the API at GitHub Enterprise Server", () => {
    expect(readConfig({ ...valid, GHE_HOST: "ghe.example.com" }).apiBaseUrl).toBe("https://ghe.example.com/api/v3");
    expect(readConfig({ ...valid, GHE_HOST: "127.0.0.1:9", GHE_PROTOCOL: "http" }).apiBaseUrl).toBe("http://127.0.0.1:9/api/v3");
  });

  it("derives the log format: LOG_FORMAT, else json under NODE_ENV=production, else pretty", () => {
    expect(readConfig(valid).logFormat).toBe("pretty");
    expect(readConfig({ ...valid, NODE_ENV: "production" }).logFormat).toBe("json");
    expect(readConfig({ ...valid, NODE_ENV: "production", LOG_FORMAT: "pretty" }).logFormat).toBe("pretty");
    expect(readConfig({ ...valid, LOG_FORMAT: "json" }).logFormat).toBe("json");
  });

  it("names every missing or invalid variable in one message", () => {
    let message = "";
    try {
      readConfig({ APP_ID: "abc", SANDBOX_PROVIDER: "e2b", PORT: "70000", DATABASE_URL: "mysql://x" });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    for (const name of ["APP_ID", "WEBHOOK_SECRET", "PRIVATE_KEY", "E2B_API_KEY", "ANTHROPIC_API_KEY", "PORT", "DATABASE_URL"]) {
      expect(message).toContain(`- ${name}:`);
    }
  });

  it("reads the key from PRIVATE_KEY_PATH and accepts escaped newlines or base64", () => {
    const { PRIVATE_KEY: _omit, ...rest } = valid;
    expect(readConfig({ ...rest, PRIVATE_KEY_PATH: "/keys/app.pem" }, () => PEM).privateKey).toBe(PEM);
    expect(readConfig({ ...valid, PRIVATE_KEY: PEM.replace(/\n/g, "\\n") }).privateKey).toBe(PEM);
    expect(readConfig({ ...valid, PRIVATE_KEY: Buffer.from(PEM).toString("base64") }).privateKey).toBe(PEM);
    expect(() => readConfig({ ...rest, PRIVATE_KEY_PATH: "/missing.pem" }, () => { throw new Error("ENOENT"); })).toThrow(/PRIVATE_KEY_PATH: cannot read/);
  });

  it("names a malformed key in the same message as every other problem", () => {
    const { ANTHROPIC_API_KEY: _k, ...noModel } = valid;
    const garbled = messageOf({ ...noModel, PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n", PORT: "x" });
    expect(garbled).toMatch(/- PRIVATE_KEY: PRIVATE_KEY is not a valid private key .*GitHub App's settings page/);
    expect(garbled).toContain("- ANTHROPIC_API_KEY:");
    expect(garbled).toContain("- PORT:");
    const notPem = messageOf({ ...noModel, PRIVATE_KEY: "not a key at all" });
    expect(notPem).toMatch(/- PRIVATE_KEY: .*neither a PEM nor a base64-encoded PEM/);
    expect(notPem).toContain("- ANTHROPIC_API_KEY:");
    const { PRIVATE_KEY: _p, ...rest } = valid;
    expect(messageOf({ ...rest, PRIVATE_KEY_PATH: "/k.pem", DATABASE_URL: "mysql://x" }, () => "junk")).toMatch(/- DATABASE_URL:[\s\S]*- PRIVATE_KEY_PATH: the file at PRIVATE_KEY_PATH \(\/k\.pem\) is neither/);
  });

  it("treats an APP_ID without a key as a configuration error, not as a new registration", () => {
    const { PRIVATE_KEY: _p, ...rest } = valid;
    expect(needsAppRegistration(rest)).toBe(false);
    expect(messageOf(rest)).toMatch(/- PRIVATE_KEY: set PRIVATE_KEY \(the PEM\) or PRIVATE_KEY_PATH/);
    expect(needsAppRegistration({ PRIVATE_KEY: PEM })).toBe(false);
    expect(messageOf({ ...valid, APP_ID: "" })).toContain("- APP_ID:");
  });

  it("knows when the app still has to be registered", () => {
    expect(needsAppRegistration({})).toBe(true);
    expect(needsAppRegistration({ APP_ID: " ", PRIVATE_KEY: "" })).toBe(true);
    expect(needsAppRegistration({ APP_ID: "1" })).toBe(false);
    expect(needsAppRegistration({ APP_ID: "1", PRIVATE_KEY_PATH: "k.pem" })).toBe(false);
  });
});
