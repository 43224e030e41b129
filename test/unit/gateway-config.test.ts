import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "../../src/config/env.ts";
import { gatewaySwitch } from "../../src/gateway/model-gateway.ts";

/** MODEL_GATEWAY and PUBLIC_URL: what start-up accepts, and where the sandbox is sent. */

const PEM = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const valid = { APP_ID: "123", PRIVATE_KEY: PEM, WEBHOOK_SECRET: "s3cret", SANDBOX_PROVIDER: "local", ANTHROPIC_API_KEY: "sk-ant-test-key" };

function messageOf(env: NodeJS.ProcessEnv): string {
  try {
    readConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("readConfig accepted the environment");
}

describe("MODEL_GATEWAY", () => {
  it("is unset by default (on wherever sandboxes reach the bot) and takes on/off only", () => {
    expect(readConfig(valid).MODEL_GATEWAY).toBeUndefined();
    expect(gatewaySwitch({ provider: "local", modelGateway: readConfig(valid).MODEL_GATEWAY, port: 3000 }).on).toBe(true);
    expect(readConfig({ ...valid, MODEL_GATEWAY: "on" }).MODEL_GATEWAY).toBe("on");
    expect(messageOf({ ...valid, MODEL_GATEWAY: "yes" })).toMatch(/MODEL_GATEWAY must be on or off/);
    expect(readConfig({ ...valid, MODEL_GATEWAY_MAX_CONCURRENT_PER_INSTALLATION: "4" }).MODEL_GATEWAY_MAX_CONCURRENT_PER_INSTALLATION).toBe(4);
  });
  it("works with any ROLE (tokens and usage live in the database), and needs PUBLIC_URL with e2b", () => {
    expect(readConfig({ ...valid, MODEL_GATEWAY: "on", ROLE: "worker" }).ROLE).toBe("worker");
    const e2bNoUrl = { ...valid, SANDBOX_PROVIDER: "e2b", E2B_API_KEY: "e2b_key" };
    expect(gatewaySwitch({ provider: "e2b", modelGateway: readConfig(e2bNoUrl).MODEL_GATEWAY, port: 3000 }).on).toBe(false);
    expect(messageOf({ ...valid, MODEL_GATEWAY: "on", SANDBOX_PROVIDER: "e2b", E2B_API_KEY: "e2b_key" })).toMatch(/PUBLIC_URL.*required when MODEL_GATEWAY=on/);
    expect(readConfig({ ...valid, MODEL_GATEWAY: "on", SANDBOX_PROVIDER: "e2b", E2B_API_KEY: "e2b_key", PUBLIC_URL: "https://bot.example.com" }).PUBLIC_URL).toBe("https://bot.example.com");
  });
  it("sends local sandboxes to loopback and e2b ones to PUBLIC_URL/model", () => {
    expect(gatewaySwitch({ provider: "local", port: 3111 })).toEqual({ on: true, publicBaseUrl: "http://127.0.0.1:3111/model" });
    // PUBLIC_URL is for E2B's cloud; a local sandbox still reaches the bot on loopback.
    expect(gatewaySwitch({ provider: "local", publicUrl: "https://bot.example.com", port: 3111 })).toEqual({ on: true, publicBaseUrl: "http://127.0.0.1:3111/model" });
    expect(gatewaySwitch({ provider: "e2b", publicUrl: "https://bot.example.com/", port: 3000 })).toEqual({ on: true, publicBaseUrl: "https://bot.example.com/model" });
  });
});
