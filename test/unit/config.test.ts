import { describe, expect, it } from "vitest";
import { ConfigError, needsAppRegistration, readConfig } from "../../src/config/env.ts";

const PEM = "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n";
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

  it("knows when the app still has to be registered", () => {
    expect(needsAppRegistration({})).toBe(true);
    expect(needsAppRegistration({ APP_ID: "1" })).toBe(true);
    expect(needsAppRegistration({ APP_ID: "1", PRIVATE_KEY_PATH: "k.pem" })).toBe(false);
  });
});
