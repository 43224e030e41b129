import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pino } from "pino";
import { Context, ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import {
  buildJsonSchema,
  buildMarkdownReference,
  extractMarkedSection,
  JSON_SCHEMA_FILE,
  replaceMarkedSection,
} from "../../src/config/repo-config-docs.ts";
import { DEFAULT_REPO_CONFIG, DEFAULT_SETUP_INPUTS, loadRepoConfig, parseRepoConfig, type RepoConfigResult } from "../../src/config/repo-config.ts";

const root = resolve(import.meta.dirname, "../..");
const FILE = ".github/claude-sandbox-bot.yml";

function problemsOf(raw: unknown) {
  const result = parseRepoConfig(raw);
  if (result.ok) throw new Error(`expected problems, got a valid config: ${JSON.stringify(result.config)}`);
  return result;
}

const pathsOf = (result: RepoConfigResult) => (result.ok ? [] : result.problems.map((p) => p.path));

describe("parseRepoConfig: defaults", () => {
  it("gives the documented defaults for an absent or empty file", () => {
    for (const raw of [null, undefined, {}]) {
      const result = parseRepoConfig(raw);
      expect(result).toEqual({ ok: true, config: DEFAULT_REPO_CONFIG });
    }
    expect(DEFAULT_REPO_CONFIG).toEqual({
      labels: { fix: "claude-fix", review: "claude-review", removeFixLabelWhenDone: true },
      draftPullRequests: true,
      signedCommits: true,
      timeoutMinutes: 30,
      env: [],
      setup: [],
      reviewers: [],
      assignees: [],
      access: { minimumPermission: "write", allowUsers: [], denyUsers: [] },
      budget: {},
      checkRun: { enabled: true, name: "claude-sandbox-bot" },
      ciFix: { enabled: true, allPullRequests: false, maxAttempts: 2, onlyChecks: [], ignoreChecks: [] },
      snapshots: { enabled: true, setupInputs: [...DEFAULT_SETUP_INPUTS] },
    });
    // No static default: the deployment's trigger phrase, the repo's default branch, the CLI's model.
    expect(DEFAULT_REPO_CONFIG.triggerPhrase).toBeUndefined();
    expect(DEFAULT_REPO_CONFIG.baseBranch).toBeUndefined();
    expect(DEFAULT_REPO_CONFIG.model).toBeUndefined();
  });

  it("fills defaults inside partially given objects", () => {
    const result = parseRepoConfig({ labels: { fix: "ai" }, access: { denyUsers: ["mallory"] } });
    expect(result.ok && result.config.labels).toEqual({ fix: "ai", review: "claude-review", removeFixLabelWhenDone: true });
    expect(result.ok && result.config.access).toEqual({ minimumPermission: "write", allowUsers: [], denyUsers: ["mallory"] });
  });

  it("shares a frozen default so no consumer can change it for the others", () => {
    expect(Object.isFrozen(DEFAULT_REPO_CONFIG)).toBe(true);
    expect(Object.isFrozen(DEFAULT_REPO_CONFIG.access.allowUsers)).toBe(true);
  });
});

describe("parseRepoConfig: a full valid file", () => {
  it("accepts every key", () => {
    const raw = {
      triggerPhrase: "@claude",
      labels: { fix: "ai-fix", review: "ai-review", removeFixLabelWhenDone: false },
      branchPrefix: "bots/claude/",
      draftPullRequests: false,
      signedCommits: false,
      baseBranch: "develop",
      model: "sonnet",
      maxTurns: 40,
      timeoutMinutes: 90,
      maxCostUsd: 2.5,
      allowedTools: ["Bash(npm test:*)", "Edit"],
      disallowedTools: ["WebFetch"],
      instructions: "Use pnpm. Run `pnpm test` before committing.",
      mcpServers: {
        docs: { type: "http", url: "https://mcp.example.com/mcp", headers: { "X-Team": "web" } },
        events: { type: "sse", url: "http://127.0.0.1:9000/sse" },
        db: { command: "npx", args: ["-y", "@example/mcp-db"], env: { DB_URL: "postgres://localhost/dev" } },
        fs: { type: "stdio", command: "mcp-fs" },
      },
      env: ["NPM_CONFIG_REGISTRY", "_PRIVATE", "NPM_TOKEN"],
      setup: ["npm ci", "npm run build"],
      reviewers: ["octocat", "@hubot", "my-org/web-team"],
      assignees: ["claude-bot", "dependabot[bot]"],
      access: { minimumPermission: "triage", allowUsers: ["renovate[bot]"], denyUsers: ["@mallory"] },
      budget: { dailyUsd: 25 },
      checkRun: { enabled: false, name: "ai-check" },
      ciFix: { enabled: false, allPullRequests: true, maxAttempts: 5, onlyChecks: ["CI / *"], ignoreChecks: ["codecov/*"] },
      snapshots: { enabled: false, setupInputs: ["package-lock.json", "scripts/setup/**"] },
    };
    const result = parseRepoConfig(raw, undefined, { passthrough: ["NPM_CONFIG_REGISTRY", "_PRIVATE", "NPM_TOKEN"] });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    // Logins lose a leading "@", which people write out of habit.
    expect(result.config).toEqual({
      ...raw,
      reviewers: ["octocat", "hubot", "my-org/web-team"],
      access: { minimumPermission: "triage", allowUsers: ["renovate[bot]"], denyUsers: ["mallory"] },
    });
  });

  it("accepts the README's example", async () => {
    const yaml = /## Per-repository configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readFileSync(resolve(root, "README.md"), "utf8"))?.[1];
    expect(yaml, "README.md has a yaml example in its Per-repository configuration section").toBeDefined();
    const result = await loadRepoConfig(probotContext({ [`o/r:${FILE}`]: yaml ?? "" }).octokit, { owner: "o", repo: "r" }, { passthrough: ["NPM_CONFIG_REGISTRY"] });
    expect(result.ok ? result.config : result.message).toMatchObject({ labels: { fix: "ai-fix" }, access: { allowUsers: ["dependabot[bot]"] } });
  });
});

describe("parseRepoConfig: problems name the key", () => {
  it("reports unknown keys at their own path, with a suggestion for typos", () => {
    const result = problemsOf({ lables: { fix: "x" }, max_turns: 3, labels: { fixx: "y" }, access: { allowusers: [] }, frobnicate: true });
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { path: "lables", message: "unknown key (did you mean `labels`?)" },
        { path: "max_turns", message: "unknown key (did you mean `maxTurns`?)" },
        { path: "labels.fixx", message: "unknown key (did you mean `fix`?)" },
        { path: "access.allowusers", message: "unknown key (did you mean `allowUsers`?)" },
      ]),
    );
    expect(result.problems.find((p) => p.path === "frobnicate")?.message).toMatch(/^unknown key; the keys here are .*`triggerPhrase`/);
    expect(result.problems).toHaveLength(5);
  });

  it("reports wrong types", () => {
    const result = problemsOf({ maxTurns: "ten", draftPullRequests: "yes", labels: { review: 3 }, setup: "npm ci", timeoutMinutes: 2.5 });
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { path: "maxTurns", message: 'must be a number, not the text `"ten"`' },
        { path: "draftPullRequests", message: 'must be `true` or `false`, not the text `"yes"`' },
        { path: "labels.review", message: "must be text, not the number `3`" },
        { path: "setup", message: 'must be a list, not the text `"npm ci"`' },
        { path: "timeoutMinutes", message: "must be a whole number, not `2.5`" },
      ]),
    );
  });

  it("reports out-of-range numbers", () => {
    expect(pathsOf(problemsOf({ maxTurns: 0, timeoutMinutes: 361, maxCostUsd: 0, budget: { dailyUsd: -1 } }))).toEqual([
      "maxTurns",
      "timeoutMinutes",
      "maxCostUsd",
      "budget.dailyUsd",
    ]);
    expect(problemsOf({ maxCostUsd: 0 }).problems[0]?.message).toBe("must be greater than 0");
  });

  it("reports a bad enum value with the allowed ones", () => {
    expect(problemsOf({ access: { minimumPermission: "owner" } }).problems).toEqual([
      { path: "access.minimumPermission", message: 'must be one of `read`, `triage`, `write`, `maintain`, `admin`, not the text `"owner"`' },
    ]);
  });

  it("reports a bad environment variable name by its index", () => {
    const result = problemsOf({ env: ["GOOD_NAME", "lower_case", "1ST", "WITH-DASH"] });
    expect(pathsOf(result)).toEqual(["env[1]", "env[2]", "env[3]"]);
    expect(result.problems[0]?.message).toMatch(/^must be an environment variable name/);
  });

  it("refuses credentials and git/GitHub variables, saying why", () => {
    const names = ["GITHUB_TOKEN", "GH_TOKEN", "ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "GITHUB_API_URL", "GH_HOST", "GIT_SSH_COMMAND", "GIT_DIR"];
    const result = problemsOf({ env: ["FINE", ...names, "GITHUBBY", "GHOST"] });
    expect(pathsOf(result)).toEqual(names.map((_, i) => `env[${i + 1}]`));
    const byPath = Object.fromEntries(result.problems.map((p) => [p.path, p.message]));
    expect(byPath["env[1]"]).toMatch(/^`GITHUB_TOKEN` is reserved .*GITHUB_, GH_ or GIT_.*the GitHub token/);
    expect(byPath["env[3]"]).toMatch(/^`ANTHROPIC_API_KEY` is the model credential/);
    expect(byPath["env[4]"]).toMatch(/^`CLAUDE_CODE_OAUTH_TOKEN` is the model credential/);
    expect(byPath["env[7]"]).toMatch(/^`GIT_SSH_COMMAND` is reserved/);
  });

  it("reports MCP server problems inside the server", () => {
    const result = problemsOf({
      mcpServers: {
        db: { type: "http", url: "not a url" },
        ftp: { type: "sse", url: "ftp://example.com/x" },
        ws: { type: "websocket", url: "wss://example.com" },
        untyped: { url: "https://example.com/mcp" },
        empty: { command: "" },
        "has space": { command: "x" },
      },
    });
    const byPath = Object.fromEntries(result.problems.map((p) => [p.path, p.message]));
    expect(byPath["mcpServers.db.url"]).toBe("must be an http:// or https:// URL, e.g. `https://mcp.example.com/mcp`");
    expect(byPath["mcpServers.ftp.url"]).toBeDefined();
    expect(byPath["mcpServers.ws.type"]).toMatch(/must be `http` or `sse`/);
    expect(byPath["mcpServers.untyped.url"]).toMatch(/needs `type: http` or `type: sse`/);
    expect(byPath["mcpServers.empty.command"]).toBe("must not be empty");
    expect(byPath['mcpServers["has space"]']).toMatch(/MCP server names/);
  });

  it("reports too many setup commands", () => {
    const result = problemsOf({ setup: Array.from({ length: 21 }, (_, i) => `echo ${i}`) });
    expect(result.problems).toEqual([{ path: "setup", message: "at most 20 setup commands" }]);
    expect(parseRepoConfig({ setup: Array.from({ length: 20 }, () => "true") }).ok).toBe(true);
  });

  it("reports bad logins, branch prefixes and oversized instructions", () => {
    const result = problemsOf({ reviewers: ["ok", "two words"], assignees: ["org/team"], branchPrefix: "a..b", instructions: "x".repeat(20_001) });
    expect(pathsOf(result)).toEqual(["branchPrefix", "instructions", "reviewers[1]", "assignees[0]"]);
  });

  it("reports a file that is not a mapping", () => {
    expect(problemsOf(["a", "b"]).problems).toEqual([{ path: "", message: "must be a mapping (`key: value` lines), not a list" }]);
    expect(problemsOf(42).message).toContain("- the file: must be a mapping");
  });

  it("writes a reply that names the file and every key, says no run started and how to fix it", () => {
    const { message } = problemsOf({ labels: { fix: "" }, env: ["A", "B", "GH_TOKEN"], mcpServers: { db: { type: "http", url: "nope" } } });
    expect(message).toContain("`.github/claude-sandbox-bot.yml`");
    expect(message).toMatch(/run was not started/);
    expect(message).toContain("- `labels.fix`: must not be empty");
    expect(message).toContain("- `env[2]`: `GH_TOKEN` is reserved");
    expect(message).toContain("- `mcpServers.db.url`: must be an http:// or https:// URL");
    expect(message).toMatch(/Fix them in `.github\/claude-sandbox-bot.yml` on the repository's default branch/);
    expect(parseRepoConfig({ model: 1 }, ".github/other.yml")).toMatchObject({ ok: false, message: expect.stringContaining("`.github/other.yml` has a problem") });
  });

  it("keeps user-written text inert in the reply (in code spans: no mentions, no markdown)", () => {
    const { message } = problemsOf({ "@everyone `x`": 1, access: { minimumPermission: "@admins" } });
    expect(message).toContain('- `` ["@everyone `x`"] ``: unknown key');
    expect(message).toContain('not the text `"@admins"`');
  });
});

describe("loadRepoConfig", () => {
  it("reads claude-sandbox-bot.yml through the contents API and validates it", async () => {
    const asked: string[] = [];
    const load = (files: Record<string, string>) => loadRepoConfig(probotContext(files, asked).octokit, { owner: "o", repo: "r" });
    expect(await load({ [`o/r:${FILE}`]: "" })).toEqual({ ok: true, config: DEFAULT_REPO_CONFIG });
    expect(await load({ [`o/r:${FILE}`]: "model: opus\n" })).toMatchObject({ ok: true, config: { model: "opus" } });
    expect(pathsOf(await load({ [`o/r:${FILE}`]: "modle: opus\n" }))).toEqual(["modle"]);
    expect(asked).toEqual([`o/r:${FILE}`, `o/r:${FILE}`, `o/r:${FILE}`]);
  });

  it("reports a YAML syntax error in the repository's own file with its line and excerpt", async () => {
    const result = await loadRepoConfig(probotContext({ [`o/r:${FILE}`]: "labels:\n  fix: a\n   review: b\n" }).octokit, { owner: "o", repo: "r" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([{ path: "", message: "not valid YAML: line 2, column 8: Nested mappings are not allowed in compact mappings" }]);
    expect(result.message).toContain("`o/r:.github/claude-sandbox-bot.yml` could not be read");
    expect(result.message).toMatch(/run was not started/);
    expect(result.message).toContain("```text\n  fix: a\n       ^\n```");
    expect(result.message).toMatch(/Fix the file on that repository's default branch/);
  });

  it("names the org's .github file when it is the one that failed, without quoting it", async () => {
    const result = await loadRepoConfig(probotContext({ [`o/.github:${FILE}`]: "labels:\n  fix: secret-value\n   review: b\n" }).octokit, { owner: "o", repo: "r" });
    expect(result.ok ? "" : result.message).toContain("`o/.github:.github/claude-sandbox-bot.yml`, which this repository's configuration uses, is not valid YAML");
    expect(result.ok ? "" : result.message).not.toContain("secret-value");
  });

  it("reports a file that is not a mapping, a refused _extends, and rethrows everything else", async () => {
    const load = (text: string) => loadRepoConfig(probotContext({ [`o/r:${FILE}`]: text }).octokit, { owner: "o", repo: "r" });
    expect(await load("just text\n")).toMatchObject({ ok: false, problems: [{ path: "", message: expect.stringMatching(/must be a mapping/) }] });
    expect(await load("_extends: a b\n")).toMatchObject({ ok: false, problems: [{ path: "_extends", message: expect.stringMatching(/^`a b` is not allowed/) }] });
    const outage = loadRepoConfig(probotContext({}, [], 502).octokit, { owner: "o", repo: "r" });
    await expect(outage).rejects.toMatchObject({ status: 502 });
  });
});

/** A real Probot Context whose API calls are answered from `files` ("owner/repo:path" → content). */
function probotContext(files: Record<string, string>, asked: string[] = [], status = 200): Context<"issues"> {
  const fetch = async (input: string | URL | Request) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const match = /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/.exec(url.pathname);
    const key = match ? `${match[1]}/${match[2]}:${decodeURIComponent(match[3] ?? "")}` : "";
    asked.push(key);
    if (status !== 200) return Response.json({ message: "Server Error" }, { status });
    const content = files[key];
    if (content === undefined) return Response.json({ message: "Not Found" }, { status: 404 });
    return new Response(content, { status: 200, headers: { "content-type": "text/plain; charset=utf-8" } });
  };
  const octokit = new ProbotOctokit({ auth: { token: "ghs_test" }, request: { fetch }, retry: { enabled: false }, throttle: { enabled: false } });
  const payload = { repository: { name: "r", owner: { login: "o" } } };
  return new Context<"issues">({ id: "1", name: "issues", payload } as never, octokit as never, pino({ level: "silent" }));
}

describe("loadRepoConfig: the owner's .github repository", () => {
  it("gives defaults when neither the repository nor the org's .github repository has the file", async () => {
    expect(await loadRepoConfig(probotContext({}).octokit, { owner: "o", repo: "r" })).toEqual({ ok: true, config: DEFAULT_REPO_CONFIG });
  });

  it("follows _extends to the owner's .github repository and validates the merged result", async () => {
    const load = (files: Record<string, string>) => loadRepoConfig(probotContext(files).octokit, { owner: "o", repo: "r" });
    const broken = await load({ [`o/r:${FILE}`]: "_extends: .github\nmodel: opus\nlabls: {}\n", [`o/.github:${FILE}`]: "model: sonnet\nmaxTurns: 7\n" });
    expect(pathsOf(broken)).toEqual(["labls"]);
    const fixed = await load({ [`o/r:${FILE}`]: "_extends: o/.github\nmodel: opus\n", [`o/.github:${FILE}`]: "maxTurns: 7\n" });
    expect(fixed).toMatchObject({ ok: true, config: { model: "opus", maxTurns: 7 } });
  });
});

describe("generated docs are up to date", () => {
  const regenerate = "run `node scripts/generate-config-docs.ts` and commit the result";

  it(`${JSON_SCHEMA_FILE} matches the zod schema`, () => {
    const committed: unknown = JSON.parse(readFileSync(resolve(root, JSON_SCHEMA_FILE), "utf8"));
    expect(committed, `${JSON_SCHEMA_FILE} is out of date: ${regenerate}`).toEqual(buildJsonSchema());
  });

  it("README.md's per-repository configuration reference matches the zod schema", () => {
    const section = extractMarkedSection(readFileSync(resolve(root, "README.md"), "utf8"));
    expect(section, "README.md lacks the <!-- repo-config:start --> … <!-- repo-config:end --> markers").toBeDefined();
    expect(section, `README.md's configuration reference is out of date: ${regenerate}`).toBe(buildMarkdownReference());
  });

  it("documents every key, flattened, with its default", () => {
    const table = buildMarkdownReference();
    for (const row of [
      "| `labels.fix` | string | `claude-fix` |",
      "| `timeoutMinutes` | integer, 1–360 | `30` |",
      "| `access.minimumPermission` | `read` \\| `triage` \\| `write` \\| `maintain` \\| `admin` | `write` |",
      "| `mcpServers.<name>.url` | URL | — (required) |",
      "| `triggerPhrase` | string | the deployment's `TRIGGER_PHRASE`, else `@` + the app's slug |",
    ]) {
      expect(table).toContain(row);
    }
  });

  it("replaces only the text between the markers", () => {
    const readme = "# x\n\n<!-- repo-config:start -->\nold\n<!-- repo-config:end -->\n\n## next\n";
    expect(replaceMarkedSection(readme, "new\n")).toBe("# x\n\n<!-- repo-config:start -->\nnew\n<!-- repo-config:end -->\n\n## next\n");
    expect(() => replaceMarkedSection("# no markers\n", "x")).toThrow(/repo-config:start/);
  });

  it("gives editors the same rules: strict objects, env names, defaults in hover text", () => {
    const schema = buildJsonSchema() as {
      additionalProperties: boolean;
      properties: { env: { items: { allOf: Array<{ pattern: string }> } }; model: { description: string } };
    };
    expect(schema.additionalProperties).toBe(false);
    const accepts = (name: string) => schema.properties.env.items.allOf.every((p) => new RegExp(p.pattern).test(name));
    expect(["NODE_ENV", "GITHUBBY"].map(accepts)).toEqual([true, true]);
    expect(["GITHUB_TOKEN", "GH_TOKEN", "GIT_DIR", "ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "lower"].map(accepts)).toEqual(Array(6).fill(false));
    expect(schema.properties.model.description).toMatch(/Default: the deployment's `CLAUDE_MODEL`, else the CLI's default\.$/);
    expect(JSON.stringify(schema)).not.toContain("defaultText");
  });
});
