import { describe, expect, it } from "vitest";
import { createRedactor } from "../../src/util/redact.ts";
import { createSecretMatcher } from "../../src/util/secret-matcher.ts";
import { createSecretRegistry } from "../../src/util/secret-registry.ts";
import { createTextRedactor } from "../../src/web/redact-display.ts";
import { addedText, logFormat } from "../../src/workspace/added-text.ts";

/** Secrets are found encoded, not only as themselves; credential shapes are found unknown; all in linear time. */

const KEY = "sk-ant-api03-model-key-0123456789abcdefXYZ";
// A value with no recognisable shape, so only its known value (in some encoding) can give it away.
const PLAIN = "deploy-value-9f8e7d6c5b4a3928";

const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");
const b64url = (s: string | Buffer) => Buffer.from(s).toString("base64url");
const hex = (s: string) => Buffer.from(s).toString("hex");
const reversed = (s: string) => [...s].reverse().join("");

function encodings(secret: string): Record<string, string> {
  return {
    base64: b64(secret),
    "base64 without padding": b64(secret).replace(/=+$/, ""),
    base64url: b64url(secret),
    hex: hex(secret),
    "HEX": hex(secret).toUpperCase(),
    reversed: reversed(secret),
    // Inside a longer encoded stream, starting at each of the three byte offsets.
    "base64, offset 1": b64(`x${secret}tail`),
    "base64, offset 2": b64(`xy${secret}tail`),
    "base64, offset 3": b64(`xyz${secret}tail`),
    "base64url, offset 1": b64url(Buffer.concat([Buffer.from([0xfb, 0xff]), Buffer.from(secret), Buffer.from([0xff, 0xfe])])),
    "base64 of a config file": b64(`API_KEY=${secret}\nOTHER=1\n`),
  };
}

describe("known secrets are found in their common encodings", () => {
  const redact = createRedactor([PLAIN], createSecretRegistry());

  it("every encoding of a known value is redacted, and find() names the encoding, never the value", () => {
    for (const [name, encoded] of Object.entries(encodings(PLAIN))) {
      const text = `before ${encoded} after`;
      const out = redact(text);
      expect(out, name).toContain("***");
      expect(out, name).toMatch(/^before .*after$/);
      // Nothing left that decodes to part of the value: what remains is the surroundings' own encoding.
      const left = out.replace(/^before |\s?after$/g, "").split("***");
      for (const piece of left) for (const decoded of [Buffer.from(piece, "base64").toString("latin1"), reversed(piece)]) {
        for (let i = 0; i + 6 <= PLAIN.length; i++) expect(decoded, `${name}: ${out}`).not.toContain(PLAIN.slice(i, i + 6));
      }
      expect(left.join("").length, `${name}: ${out}`).toBeLessThan(encoded.length / 2);
      expect(redact.find(text), name).toMatchObject({ what: expect.stringMatching(/^a known secret/) });
      expect(JSON.stringify(redact.find(text))).not.toContain(PLAIN);
    }
    expect(redact.find(`some ${b64(PLAIN)}`)?.what).toBe("a known secret (base64)");
    expect(redact.find(`some ${reversed(PLAIN)}`)?.what).toBe("a known secret (reversed)");
    expect(redact.find(`some ${hex(PLAIN)}`)?.what).toBe("a known secret (hex)");
  });

  it("the log stream and the dashboard find them the same way", () => {
    const registry = createSecretRegistry();
    registry.add(PLAIN);
    const display = createTextRedactor([PLAIN]);
    for (const [name, encoded] of Object.entries(encodings(PLAIN))) {
      expect(registry.redact(`x ${encoded} y`), name).toContain("***");
      expect(display(`x ${encoded} y`), name).toContain("***");
    }
  });

  it("ordinary text, hashes and other values stay as they are", () => {
    const text = `commit ${"0123456789abcdef".repeat(2)}01234567 by alice: fix the ${PLAIN.slice(0, 7)} parser, ${b64("hello world, nothing secret")}`;
    expect(redact(text)).toBe(text);
    expect(redact.find(text)).toBeNull();
  });
});

describe("credential shapes are found without knowing the value", () => {
  const shapes: Record<string, string> = {
    "installation token": "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
    "personal token": "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",
    "oauth token": "gho_16C7e42F292c6912E7710c838347Ae178B4a",
    "user-to-server token": "ghu_16C7e42F292c6912E7710c838347Ae178B4a",
    "refresh token": "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498",
    "fine-grained token": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV",
    "Anthropic key": "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789-ABCDEFGHIJKLMN_AA",
    "AWS access key id": "AKIAIOSFODNN7EXAMPLE",
    "AWS temporary key id": "ASIAIOSFODNN7EXAMPLE",
    "model gateway run token": `csbgw_${Buffer.alloc(32, 9).toString("base64url")}`,
  };
  const redact = createRedactor([], createSecretRegistry());

  it("token shapes, in pushed changes (find) and in what is shown (redact)", () => {
    for (const [name, token] of Object.entries(shapes)) {
      const text = `config: ${token}\n`;
      expect(redact(text), name).toBe("config: ***\n");
      expect(redact.find(text), name).not.toBeNull();
      expect(JSON.stringify(redact.find(text))).not.toContain(token);
    }
  });

  it("PEM private key blocks, whole or cut off", () => {
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcT\nk2Ux3MXAj\n-----END RSA PRIVATE KEY-----";
    expect(redact(`key:\n${pem}\nnext line.`)).toBe("key:\n***\nnext line.");
    expect(redact.find(`x ${pem}`)?.what).toBe("a private key");
    const cut = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDm";
    expect(redact(`${cut}. The rest`)).toBe("***. The rest");
    expect(redact("-----BEGIN PUBLIC KEY-----\nMFkwEw\n-----END PUBLIC KEY-----")).toContain("MFkwEw");
  });

  it("what is shown also loses bearer headers and passwords in URLs; the push check does not refuse for those", () => {
    expect(redact("Authorization: Bearer abcdefghijklmnopqrstuvwxyz")).toBe("Authorization: Bearer ***");
    expect(redact("https://user:hunter2-password@example.com/x")).toBe("https://user:***@example.com/x");
    expect(redact.find("Authorization: Bearer abcdefghijklmnopqrstuvwxyz and https://user:hunter2-password@example.com/x")).toBeNull();
  });
});

describe("bounded work for outside input of any size", () => {
  const many = Array.from({ length: 300 }, (_, i) => `ghs_${String(i).padStart(4, "0")}${"x".repeat(32)}`);
  const redact = createRedactor([KEY, PLAIN, ...many], createSecretRegistry());

  const adversarial: Record<string, string> = {
    "PEM BEGIN lines without an END": "-----BEGIN RSA PRIVATE KEY-----\n".repeat(150_000),
    "near misses of a known value": `${PLAIN.slice(0, -1)}`.repeat(200_000),
    "token prefixes": "ghp_ ghs_ github_pat_ sk-ant- AKIA ".repeat(150_000),
    "URL-like words": "a.b.c.d-e+f:".repeat(400_000),
    "base64 of nothing": b64("x".repeat(3_000_000)),
    "token followed by spaces": `token${" ".repeat(5_000_000)}`,
  };

  for (const [name, text] of Object.entries(adversarial)) {
    it(`${name} (${(text.length / 1e6).toFixed(1)} M characters) in well under a few seconds`, () => {
      const started = performance.now();
      redact(text);
      redact.find(text);
      expect(performance.now() - started).toBeLessThan(3000);
    });
  }

  it("a value found mid-stream in megabytes of text is still found", () => {
    const text = `${"q".repeat(2_000_000)}${b64(`zz${KEY}`)}${"q".repeat(2_000_000)}`;
    expect(redact.find(text)?.what).toBe("a known secret (base64)");
    expect(createSecretMatcher([KEY]).redact(text)).not.toContain(b64(`zz${KEY}`).slice(4, 40));
  });
});

describe("what a change adds, read from git log", () => {
  it("messages and added lines count; context and removed lines do not; nothing pretends to be a header or a message's end", () => {
    const marker = "csb-0123456789abcdef0123456789abcdef";
    expect(logFormat(marker)).toBe(`--format=${marker}%n%B%n${marker}`);
    const log = [
      marker,
      "Add things",
      "",
      "+++ looks like a header in a message",
      "csb-ffffffffffffffffffffffffffffffff",
      "hidden in the message",
      marker,
      "",
      "diff --git a/a.txt b/a.txt",
      "index 1111111..2222222 100644",
      "--- a/a.txt",
      "+++ b/a.txt",
      "@@ -1,2 +1,3 @@",
      " context line",
      "-removed line",
      "+added line",
      "+++ an added line that starts with two pluses",
      "diff --git a/new.bin b/new.bin",
      "new file mode 100644",
      "--- /dev/null",
      "+++ b/new.bin",
      "@@ -0,0 +1 @@",
      "+binary\u0000bytes",
    ].join("\n");
    const added = addedText(log, marker);
    expect(added.files.sort()).toEqual(["a.txt", "new.bin"]);
    const lines = added.text.split("\n");
    expect(lines).toEqual(["Add things", "", "+++ looks like a header in a message", "csb-ffffffffffffffffffffffffffffffff", "hidden in the message", "added line", "++ an added line that starts with two pluses", "binary\u0000bytes"]);
  });
});
