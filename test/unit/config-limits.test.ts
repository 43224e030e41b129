import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_CONFIG_BYTES } from "../../src/config/repo-config-limits.ts";
import { resolveExtends } from "../../src/config/repo-config-extends.ts";
import { boundedFetch, parseConfigText, type ConfigClient } from "../../src/config/repo-config-read.ts";
import { loadRepoConfig, parseRepoConfig } from "../../src/config/repo-config.ts";
import { mayEverRun } from "../../src/intake/authorize.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";

/** Issue 13 item 2: every step from reading a repository's config to the reply is bounded. */

const CONFIG = ".github/claude-sandbox-bot.yml";
const quiet = (): void => {};

describe("parseRepoConfig on an object built to be slow", () => {
  it("answers 60,000 unknown keys in well under a second, working out 20 and counting the rest", () => {
    const raw = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`lablesUnknownKey${i}`, 1]));
    const t = performance.now();
    const result = parseRepoConfig(raw);
    expect(performance.now() - t).toBeLessThan(1_500);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(20);
    expect(result.message).toContain("has 60000 problems");
    expect(result.message).toContain("… and 59980 more");
    expect(result.message.length).toBeLessThan(10_000);
  });

  it("gives no did-you-mean for very long keys, and keeps the reply short", () => {
    const raw = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`${"labels".repeat(2_000)}${i}`, 1]));
    const t = performance.now();
    const result = parseRepoConfig(raw);
    expect(performance.now() - t).toBeLessThan(1_000);
    expect(result.ok ? "" : result.problems[0]!.message).toMatch(/^unknown key; the keys here are/);
    expect(result.ok ? 0 : result.message.length).toBeLessThan(10_000);
  });

  it("still suggests the key for an ordinary typo", () => {
    expect(parseRepoConfig({ lables: {} })).toMatchObject({ ok: false, problems: [{ path: "lables", message: "unknown key (did you mean `labels`?)" }] });
  });
});

describe("parseConfigText bounds", () => {
  it("refuses too many keys, too deep a nesting and too long a key, each with one problem", () => {
    expect(parseConfigText(`{${Array.from({ length: 3_000 }, (_, i) => `k${i}: 1`).join(", ")}}`)).toMatchObject({ ok: false, problem: { message: expect.stringMatching(/more than 2000 keys/) } });
    expect(parseConfigText(`${"[".repeat(40)}${"]".repeat(40)}`)).toMatchObject({ ok: false, problem: { message: expect.stringMatching(/must be a mapping/) } });
    expect(parseConfigText(`a: ${"[".repeat(40)}${"]".repeat(40)}`)).toMatchObject({ ok: false, problem: { message: expect.stringMatching(/more than 10 levels deep/) } });
    expect(parseConfigText(`{ "${"k".repeat(500)}": 1 }`)).toMatchObject({ ok: false, problem: { message: expect.stringMatching(/key longer than 128 characters/) } });
  });

  it("refuses a YAML alias bomb (the yaml package's alias limit) and counts expanded aliases as nodes", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`)].join("\n");
    const t = performance.now();
    expect(parseConfigText(bomb).ok).toBe(false);
    expect(performance.now() - t).toBeLessThan(1_000);
    const wide = `a: &a [${Array(50).fill("x").join(", ")}]\nb: [${Array(60).fill("*a").join(", ")}]\n`;
    expect(parseConfigText(wide)).toMatchObject({ ok: false, problem: { message: expect.stringMatching(/more than 2000 keys/) } });
  });
});

describe("resolveExtends", () => {
  it("allows only the same owner's .github repository, one file, no ..", () => {
    expect(resolveExtends(".github", "acme", CONFIG)).toEqual({ ok: true, ref: { owner: "acme", repo: ".github", path: CONFIG } });
    expect(resolveExtends("ACME/.github:shared/a.yml", "acme", CONFIG)).toEqual({ ok: true, ref: { owner: "acme", repo: ".github", path: "shared/a.yml" } });
    for (const value of ["secret-infra:deploy/values.yaml", "shared", "acme/shared", "evil/.github", ".github:../x.yml", ".github:a/../../x.yml", ".github:x.json", 7]) {
      expect(resolveExtends(value, "acme", CONFIG).ok, String(value)).toBe(false);
    }
  });
});

describe("reading the file through the contents API", () => {
  let gh: FakeGitHub;
  let client: ConfigClient;
  beforeAll(async () => {
    gh = await startFakeGitHub();
    await gh.createRepo({ owner: "acme", name: "huge", files: { [CONFIG]: Array.from({ length: 60_000 }, (_, i) => `unknownKey${String(i).padStart(5, "0")}: 1`).join("\n") } });
    await gh.createRepo({ owner: "acme", name: "fine", files: { [CONFIG]: "model: opus\n" } });
    const octokit = new Octokit({ auth: gh.issueToken().token, baseUrl: `${gh.url}/api/v3`, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
    client = octokit as unknown as ConfigClient;
  });
  afterAll(async () => gh?.close());

  it("refuses a 692 KB file quickly, naming the limit", async () => {
    const t = performance.now();
    const result = await loadRepoConfig(client, { owner: "acme", repo: "huge" });
    expect(performance.now() - t).toBeLessThan(2_000);
    expect(result).toMatchObject({ ok: false, problems: [{ path: "", message: expect.stringMatching(/^is larger than 64 KB/) }] });
    expect(await loadRepoConfig(client, { owner: "acme", repo: "fine" })).toMatchObject({ ok: true, config: { model: "opus" } });
  });

  it("reads no more of the body than the limit (plus the chunk that crossed it)", async () => {
    let pulled = 0;
    const chunk = new Uint8Array(16 * 1024).fill(120);
    const endless = async () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            pulled += chunk.length;
            controller.enqueue(chunk);
          },
        }),
        { status: 200, headers: { "content-type": "text/plain; charset=utf-8" } },
      );
    const response = await boundedFetch(endless as typeof fetch, MAX_CONFIG_BYTES + 1)("http://x/");
    expect((await response.arrayBuffer()).byteLength).toBe(MAX_CONFIG_BYTES + 1);
    expect(pulled).toBeLessThanOrEqual(MAX_CONFIG_BYTES + 3 * chunk.length);
  });
});

describe("the permission floor", () => {
  it("refuses `minimumPermission: read` (everyone can read a public repository)", () => {
    expect(parseRepoConfig({ access: { minimumPermission: "read" } })).toMatchObject({
      ok: false,
      problems: [{ path: "access.minimumPermission", message: expect.stringMatching(/`read` is not accepted.*the lowest is `triage`/) }],
    });
    expect(parseRepoConfig({ access: { minimumPermission: "triage" } }).ok).toBe(true);
  });

  it("lets triage or more, and bot accounts, past intake's pre-filter; nobody else", () => {
    const person = { login: "pat", type: "User" };
    expect(["none", "read"].map((p) => mayEverRun(person, p))).toEqual([false, false]);
    expect(["triage", "write", "maintain", "admin"].every((p) => mayEverRun(person, p))).toBe(true);
    expect(mayEverRun({ login: "renovate[bot]", type: "Bot" }, "none")).toBe(true);
  });
});
