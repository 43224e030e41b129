import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { egressAllowList, egressPortWarnings, PACKAGE_REGISTRIES } from "../../src/config/egress.ts";
import { readConfig } from "../../src/config/env.ts";
import { createRedactor } from "../../src/util/redact.ts";
import { runSetupCommands, SETUP_COMMAND_TIMEOUT_MS } from "../../src/runs/setup-commands.ts";
import { createSandboxProvider } from "../../src/sandbox/create-provider.ts";
import { createLocalProvider } from "../../src/sandbox/local.ts";

describe("E2B egress allow-list", () => {
  it("by default holds the model API, github.com's git hosts and the registries", () => {
    const list = egressAllowList({});
    expect(list).toEqual(expect.arrayContaining(["api.anthropic.com", "github.com", "api.github.com", "codeload.github.com", ...PACKAGE_REGISTRIES]));
  });

  it("SANDBOX_ALLOW_OUT replaces the registries but always keeps the model API and the git host", () => {
    expect(egressAllowList({ allowOut: "pypi.org, 10.0.0.0/8" })).toEqual([
      "api.anthropic.com",
      "github.com",
      "api.github.com",
      "codeload.github.com",
      "objects.githubusercontent.com",
      "raw.githubusercontent.com",
      "pypi.org",
      "10.0.0.0/8",
    ]);
    expect(egressAllowList({ allowOut: "pypi.org", anthropicBaseUrl: "https://llm.corp.example/v1", gheHost: "ghe.corp.example:8443" })).toEqual([
      "llm.corp.example",
      "ghe.corp.example",
      "pypi.org",
    ]);
  });

  it("does not repeat a host the operator listed too, and * lifts the restriction", () => {
    expect(egressAllowList({ allowOut: "github.com,api.anthropic.com,pypi.org", gheHost: "github.com" })).toEqual(["api.anthropic.com", "github.com", "pypi.org"]);
    expect(egressAllowList({ allowOut: " * " })).toBeUndefined();
  });
});

describe("E2B egress port warnings", () => {
  it("says nothing for hosts on 443 or 80", () => {
    expect(egressPortWarnings({})).toEqual([]);
    expect(egressPortWarnings({ anthropicBaseUrl: "https://llm.corp.example/v1", gheHost: "ghe.corp.example" })).toEqual([]);
    expect(egressPortWarnings({ gheHost: "ghe.corp.example", gheProtocol: "http" })).toEqual([]);
    expect(egressPortWarnings({ anthropicBaseUrl: "http://llm.corp.example:80" })).toEqual([]);
  });

  it("warns for a model API or GHE host on another port, naming the setting and the way out", () => {
    const warnings = egressPortWarnings({ anthropicBaseUrl: "http://llm.corp.example:8080", gheHost: "ghe.corp.example:8443" });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^ANTHROPIC_BASE_URL=http:\/\/llm\.corp\.example:8080 uses port 8080.*only on ports 80 and 443.*SANDBOX_ALLOW_OUT=\*/);
    expect(warnings[1]).toMatch(/^GHE_HOST=ghe\.corp\.example:8443 uses port 8443/);
  });

  it("does not warn when egress is unrestricted", () => {
    expect(egressPortWarnings({ allowOut: "*", gheHost: "ghe.corp.example:8443" })).toEqual([]);
  });

  it("with the model gateway on, holds the gateway's host instead of the model API", () => {
    const list = egressAllowList({ allowOut: "pypi.org", anthropicBaseUrl: "https://llm.corp.example/v1", gatewayUrl: "https://bot.example.com/model" });
    expect(list).toEqual(["bot.example.com", "github.com", "api.github.com", "codeload.github.com", "objects.githubusercontent.com", "raw.githubusercontent.com", "pypi.org"]);
    expect(list).not.toContain("llm.corp.example");
    expect(egressAllowList({ gatewayUrl: "https://bot.example.com/model" })).not.toContain("api.anthropic.com");
    expect(egressPortWarnings({ gatewayUrl: "https://bot.example.com:8443/model", anthropicBaseUrl: "https://llm.corp.example:9000" })).toEqual([expect.stringMatching(/^PUBLIC_URL=https:\/\/bot\.example\.com:8443\/model uses port 8443/)]);
  });

  it("is logged when the e2b provider starts: with PUBLIC_URL set, the gateway's host and not the model API", async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const config = readConfig({ ...minimalEnv(), SANDBOX_PROVIDER: "e2b", E2B_API_KEY: "e2b_test", PUBLIC_URL: "https://bot.example.com" });
    await createSandboxProvider(config, log);
    const allow = lines.find((l) => /network egress/.test(l.msg)) as unknown as { allowOut: string[] };
    expect(allow.allowOut).toContain("bot.example.com");
    expect(allow.allowOut).not.toContain("api.anthropic.com");
  });

  it("is logged when the e2b provider starts", async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const config = readConfig({
      ...minimalEnv(),
      SANDBOX_PROVIDER: "e2b",
      E2B_API_KEY: "e2b_test",
      GHE_HOST: "ghe.corp.example:8443",
    });
    const provider = await createSandboxProvider(config, log);
    expect(provider.name).toBe("e2b");
    expect(lines.some((l) => l.level === 40 && /^GHE_HOST=ghe\.corp\.example:8443 uses port 8443/.test(l.msg))).toBe(true);
    const allow = lines.find((l) => /network egress/.test(l.msg)) as unknown as { allowOut: string[] };
    expect(allow.allowOut).toContain("ghe.corp.example");
  });
});

function minimalEnv(): Record<string, string> {
  const PRIVATE_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  return { APP_ID: "123", PRIVATE_KEY, WEBHOOK_SECRET: "s3cret", ANTHROPIC_API_KEY: "sk-ant-test-key" };
}

describe("setup commands", () => {
  it("each gets its own bounded time: a hung one is stopped and the error points at the egress allow-list", async () => {
    const provider = createLocalProvider({ root: mkdtempSync(join(tmpdir(), "setup-timeout-")), log: pino({ level: "silent" }), passEnv: ["PATH"] });
    const box = await provider.create({ metadata: {}, timeoutMs: 60_000 });
    const started = Date.now();
    const failure = runSetupCommands({ sandbox: box, commands: ["sleep 30"], env: {}, timeoutMs: 30 * 60_000, signal: new AbortController().signal, redact: createRedactor(), commandTimeoutMs: 500 });
    await expect(failure).rejects.toThrow(/`sleep 30` did not finish within 1 s and was stopped.*SANDBOX_ALLOW_OUT/s);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("the own limit never exceeds what is left of the run, and a plain failure still says its exit code", async () => {
    const provider = createLocalProvider({ root: mkdtempSync(join(tmpdir(), "setup-timeout-")), log: pino({ level: "silent" }), passEnv: ["PATH"] });
    const box = await provider.create({ metadata: {}, timeoutMs: 60_000 });
    const started = Date.now();
    await expect(runSetupCommands({ sandbox: box, commands: ["sleep 30"], env: {}, timeoutMs: 500, signal: new AbortController().signal, redact: createRedactor() })).rejects.toThrow(/did not finish within 1 s/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(runSetupCommands({ sandbox: box, commands: ["exit 3"], env: {}, timeoutMs: 60_000, signal: new AbortController().signal, redact: createRedactor() })).rejects.toThrow(/failed with exit code 3/);
    expect(SETUP_COMMAND_TIMEOUT_MS).toBe(600_000);
  });
});
