import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { envSchema, readConfig } from "../../src/config/env.ts";
import { deploymentSecrets, passedValues } from "../../src/util/deployment-secrets.ts";
import { createSecretSet } from "../../src/util/secret-set.ts";

/** The one secret set behind every redactor, and the one list of the deployment's secrets. */

const TOKEN = "ghs_minted_value_0123"; // shaped like a GitHub token only when long enough: it is not
const PLAIN = "deploy-value-9f8e7d6c5b4a3928";

describe("createSecretSet", () => {
  it.each<[string, Array<string | null | undefined>, string, string]>([
    ["no values: only credential shapes go", [], `x ${PLAIN} 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`, `x ${PLAIN} ***`],
    // The base64's last characters also encode the padding, not the value alone: they stay.
    ["a known value, and its base64", [PLAIN], `a ${PLAIN} b ${Buffer.from(PLAIN).toString("base64")}`, "a *** b ***g="],
    ["short and missing values are ignored", ["short", undefined, null, ""], "a short word", "a short word"],
    ["the longer of two overlapping values", ["sk-ant-secret-ABCDEFGH", "sk-ant-secret-ABCDEFGH-longer"], "a sk-ant-secret-ABCDEFGH-longer b", "a *** b"],
    ["what is shown loses bearer headers too", [], "Authorization: Bearer abcdefghijklmnopqrstuvwxyz", "Authorization: Bearer ***"],
  ])("redact: %s", (_name, initial, text, expected) => {
    expect(createSecretSet(initial).redact(text)).toBe(expected);
  });

  it.each<[string, Array<string>, string, string | null]>([
    ["a known value", [PLAIN], `a ${PLAIN}`, "a known secret"],
    ["a known value, reversed", [PLAIN], [...PLAIN].reverse().join(""), "a known secret (reversed)"],
    ["a credential shape", [], "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", "a GitHub token"],
    ["not a bearer header: the push check wants unmistakable shapes", [], "Authorization: Bearer abcdefghijklmnopqrstuvwxyz", null],
    ["ordinary text", [PLAIN], "fix the parser", null],
  ])("find: %s", (_name, initial, text, what) => {
    expect(createSecretSet(initial).find(text)?.what ?? null).toBe(what);
  });

  it("a value added later is found from then on; adding it again changes nothing", () => {
    const set = createSecretSet([PLAIN]);
    expect(set.redact(`t ${TOKEN}`)).toBe(`t ${TOKEN}`);
    expect(set.add(TOKEN)).toBe(true);
    expect(set.redact(`t ${TOKEN}`)).toBe("t ***");
    expect(set.find(`t ${TOKEN}`)?.what).toBe("a known secret");
    expect(set.add(TOKEN)).toBe(false);
    expect(set.add("short")).toBe(false);
    expect(set.size).toBe(2);
  });

  it("a value with a TTL is forgotten when it expires, and a later add extends it", () => {
    let now = 0;
    const set = createSecretSet([PLAIN], () => now);
    set.add(TOKEN, 1000);
    set.add("another-minted-value-1", 5000);
    now = 999;
    expect(set.redact(TOKEN)).toBe("***");
    expect(set.add(TOKEN, 2000)).toBe(false); // now known until 2999
    now = 2000;
    expect(set.redact(TOKEN)).toBe("***");
    now = 3000;
    expect(set.redact(`${TOKEN} ${PLAIN} another-minted-value-1`)).toBe(`${TOKEN} *** ***`);
    expect(set.find(TOKEN)).toBeNull();
    expect(set.size).toBe(2);
    now = 5000;
    expect(set.size).toBe(1);
    expect(set.redact(PLAIN)).toBe("***");
  });
});

describe("deploymentSecrets", () => {
  const key = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const env = {
    APP_ID: "1",
    PRIVATE_KEY: key,
    WEBHOOK_SECRET: "webhook-secret-value",
    SANDBOX_PROVIDER: "e2b",
    E2B_API_KEY: "e2b-key-value-0123",
    ANTHROPIC_API_KEY: "sk-ant-model-key-0123",
    CLAUDE_CODE_OAUTH_TOKEN: "oauth-token-value-0123",
    ADMIN_TOKEN: "admin-token-value-0123456789",
    METRICS_TOKEN: "metrics-token-value-0123456",
  };

  it("lists every secret the deployment is configured with", () => {
    expect(deploymentSecrets(readConfig(env)).sort()).toEqual([key, env.WEBHOOK_SECRET, env.E2B_API_KEY, env.ANTHROPIC_API_KEY, env.CLAUDE_CODE_OAUTH_TOKEN, env.ADMIN_TOKEN, env.METRICS_TOKEN].sort());
  });

  it("leaves out what is not set", () => {
    expect(deploymentSecrets({ WEBHOOK_SECRET: "webhook-secret-value", ANTHROPIC_API_KEY: undefined })).toEqual(["webhook-secret-value"]);
  });

  it("misses no variable named like a secret (a new one must be added to the list, or here)", () => {
    const notSecret = new Set(["PRIVATE_KEY_PATH"]);
    const secretNamed = Object.keys(envSchema.shape).filter((name) => /KEY|TOKEN|SECRET|PASSWORD/.test(name) && !notSecret.has(name));
    const listed = deploymentSecrets(readConfig(env));
    for (const name of secretNamed) {
      const value = name === "PRIVATE_KEY" ? key : env[name as keyof typeof env];
      expect(value, `${name} has a value in this test`).toBeDefined();
      expect(listed, name).toContain(value);
    }
  });

  it("passedValues: the values of the variables a repository passes in, those that are set", () => {
    const lookup = (name: string) => ({ NPM_TOKEN: "npm-token-value-0123", EMPTY: "" } as Record<string, string>)[name];
    expect(passedValues(["NPM_TOKEN", "UNSET", "EMPTY"], lookup)).toEqual(["npm-token-value-0123"]);
    expect(passedValues([], lookup)).toEqual([]);
  });
});
