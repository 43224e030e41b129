import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { posix, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { envSchema } from "../../src/config/env.ts";
import { ERROR_CATEGORIES } from "../../src/runs/error-category.ts";
import { PHASES } from "../../src/runs/phases.ts";

/**
 * Static checks of the deployment files (Docker is not available to the tests): the Dockerfile,
 * .dockerignore, compose.yaml and docs/*.md against each other, the env schema and the source.
 */

const root = resolve(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(resolve(root, path), "utf8");
const schemaVars = new Set(Object.keys(envSchema.shape));
const shape = envSchema.shape as Record<string, { safeParse(value: unknown): { success: boolean; data?: unknown } }>;

// ── Dockerfile ───────────────────────────────────────────────────────────────────────────────

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  image: string;
  name: string | null;
  instructions: Instruction[];
}

/** Joins continuation lines, drops comments and blank lines, splits into stages. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let buffer = "";
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*#/.test(raw)) continue; // comments (also inside continuations, as BuildKit does)
    const line = raw.trimEnd();
    if (line.endsWith("\\")) {
      buffer += `${line.slice(0, -1)} `;
      continue;
    }
    buffer += line;
    if (buffer.trim()) logical.push(buffer.trim());
    buffer = "";
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/s.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: args.trim() };
    if (instruction.keyword === "FROM") {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const asIndex = words.findIndex((w) => w.toUpperCase() === "AS");
      stages.push({ image: words[0] ?? "", name: asIndex >= 0 ? (words[asIndex + 1] ?? null) : null, instructions: [] });
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile: ${instruction.keyword} before the first FROM`);
    stage.instructions.push(instruction);
  }
  return stages;
}

/** `ENV a=1 b="x y"` (or the legacy `ENV a 1`) → pairs. */
function envPairs(args: string): Array<[string, string]> {
  const tokens = args.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
  if (tokens.length > 0 && !tokens[0]!.includes("=")) return [[tokens[0]!, tokens.slice(1).join(" ")]];
  return tokens.map((token) => {
    const at = token.indexOf("=");
    return [token.slice(0, at), token.slice(at + 1).replace(/^(["'])(.*)\1$/, "$2")];
  });
}

/** Exec form (a JSON array) → argv; shell form → ["/bin/sh", "-c", args]. */
function execForm(args: string): string[] {
  const trimmed = args.trim();
  if (trimmed.startsWith("[")) return JSON.parse(trimmed) as string[];
  return ["/bin/sh", "-c", trimmed];
}

/** Options before CMD in a HEALTHCHECK (`--interval=30s …`) are dropped. */
function healthcheckCommand(args: string): string[] | null {
  const rest = args.replace(/^(--\S+\s+)*/, "");
  if (/^NONE$/i.test(rest)) return null;
  const match = /^CMD\s+(.*)$/is.exec(rest);
  return match ? execForm(match[1]!) : null;
}

const dockerfile = parseDockerfile(read("Dockerfile"));
const finalStage = dockerfile.at(-1)!;
const inFinal = (keyword: string) => finalStage.instructions.filter((i) => i.keyword === keyword);
const allRuns = dockerfile.flatMap((s) => s.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args));
const finalEnv = new Map(inFinal("ENV").flatMap((i) => envPairs(i.args)));
const workdir = inFinal("WORKDIR").at(-1)?.args ?? "/";

/** The base image a stage resolves to, following `FROM <earlier stage>`. */
function baseImage(stage: Stage): string {
  const earlier = dockerfile.find((s) => s.name !== null && s.name === stage.image && s !== stage);
  return earlier ? baseImage(earlier) : stage.image;
}

/** .dockerignore patterns; a simple matcher for the exact names and `*.ext` forms it uses. */
const dockerignore = read(".dockerignore")
  .split(/\r?\n/)
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
function ignored(path: string): boolean {
  const clean = posix.normalize(path).replace(/^\.\//, "").replace(/\/$/, "");
  const segments = clean.split("/");
  let out = false;
  for (const raw of dockerignore) {
    const negate = raw.startsWith("!");
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\//, "").replace(/^\*\*\//, "");
    const regex = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`);
    // A pattern excludes the path itself or any directory above it.
    const hit = segments.some((_, i) => regex.test(segments.slice(0, i + 1).join("/"))) || (raw.startsWith("**/") && segments.some((s) => regex.test(s)));
    if (hit) out = !negate;
  }
  return out;
}

describe("Dockerfile", () => {
  it("builds every stage on node:24-slim, a Node new enough for package.json's engines", () => {
    expect(dockerfile.length).toBeGreaterThan(0);
    for (const stage of dockerfile) expect(baseImage(stage)).toBe("node:24-slim");
    const engines = (JSON.parse(read("package.json")) as { engines?: { node?: string } }).engines?.node ?? "";
    const minimum = Number(/(\d+)/.exec(engines)?.[1] ?? 0);
    const major = Number(/^node:(\d+)/.exec(baseImage(finalStage))?.[1] ?? 0);
    expect(major).toBeGreaterThanOrEqual(minimum);
  });

  it("runs as a non-root user", () => {
    const user = inFinal("USER").at(-1)?.args.split(":")[0];
    expect(user, "the final stage needs a USER").toBeDefined();
    expect(["root", "0"]).not.toContain(user);
  });

  it("installs only production dependencies, without the Node-pinning devDependency", () => {
    const installs = allRuns.filter((run) => /\bnpm\s+(ci|install|i)\b/.test(run));
    expect(installs.length).toBeGreaterThan(0);
    for (const run of installs) {
      expect(run).toMatch(/\bnpm\s+ci\b/);
      expect(run).toMatch(/--omit[= ]dev\b/);
    }
    expect(ignored("node_modules"), "the host's node_modules (dev dependencies included) must stay out of the build context").toBe(true);
  });

  it("starts src/main.ts with node itself, not through npm", () => {
    const cmd = execForm(inFinal("CMD").at(-1)?.args ?? "[]");
    const entrypoint = inFinal("ENTRYPOINT").at(-1);
    const argv = [...(entrypoint ? execForm(entrypoint.args) : []), ...cmd];
    expect(cmd[0]).toBe("node");
    expect(cmd).toContain("src/main.ts");
    expect(argv.join(" ")).not.toMatch(/\bnpm\b/);
    // An init process must pass the command on (`tini --`), not swallow it.
    if (entrypoint) expect(argv.indexOf("node")).toBeGreaterThan(0);
    expect(workdir).toBe("/app");
    const copied = inFinal("COPY").filter((i) => !/--from=/.test(i.args)).flatMap((i) => i.args.split(/\s+/).filter((w) => !w.startsWith("--")).slice(0, -1));
    expect(copied).toContain("src");
  });

  it("has a HEALTHCHECK on GET /healthz, with a program the slim image has", () => {
    const healthchecks = inFinal("HEALTHCHECK");
    expect(healthchecks).toHaveLength(1);
    const command = healthcheckCommand(healthchecks[0]!.args);
    expect(command).not.toBeNull();
    expect(command!.join(" ")).toMatch(/\/healthz\b/);
    // node:24-slim has neither curl nor wget; using one needs installing it.
    const tool = command![0] === "/bin/sh" ? (command![2] ?? "").split(/\s+/)[0]! : command![0]!;
    if (tool !== "node") expect(allRuns.some((run) => new RegExp(`apt-get install[^&;]*\\b${tool}\\b`).test(run))).toBe(true);
  });

  it("exposes 3000, sets NODE_ENV=production and listens on all interfaces", () => {
    expect(inFinal("EXPOSE").flatMap((i) => i.args.split(/\s+/))).toContain("3000");
    expect(finalEnv.get("NODE_ENV")).toBe("production");
    // Probot's server listens on localhost unless HOST says otherwise: unreachable from outside.
    expect(["0.0.0.0", "::"]).toContain(finalEnv.get("HOST"));
    expect(finalEnv.get("PORT") ?? "3000").toBe("3000");
    for (const [name, value] of finalEnv) {
      if (name === "NODE_ENV") continue;
      expect(schemaVars.has(name), `ENV ${name} is not a variable the bot reads (src/config/env.ts)`).toBe(true);
      expect(shape[name]!.safeParse(value).success, `ENV ${name}=${value} is not valid`).toBe(true);
    }
  });

  it("installs git for the local provider", () => {
    const finalRuns = inFinal("RUN").map((i) => i.args);
    expect(finalRuns.some((run) => /apt-get install[^&;]*\bgit\b/.test(run))).toBe(true);
  });

  it("keeps the SQLite default on the data volume, writable by the bot's user", () => {
    const volumes = inFinal("VOLUME").flatMap((i) => (i.args.startsWith("[") ? (JSON.parse(i.args) as string[]) : i.args.split(/\s+/)));
    expect(volumes).toContain("/app/data");
    const databaseUrl = String(shape.DATABASE_URL!.safeParse(finalEnv.get("DATABASE_URL")).data);
    expect(databaseUrl).toMatch(/^sqlite:/);
    expect(posix.resolve(workdir, databaseUrl.slice("sqlite:".length))).toMatch(/^\/app\/data\//);
    const user = inFinal("USER").at(-1)!.args.split(":")[0]!;
    expect(inFinal("RUN").some((i) => new RegExp(`chown\\s+(-R\\s+)?${user}(:\\S+)?\\s+/app/data\\b`).test(i.args))).toBe(true);
  });

  it("copies only files that exist and that .dockerignore lets through; keeps secrets and dev files out", () => {
    for (const stage of dockerfile) {
      for (const copy of stage.instructions.filter((i) => i.keyword === "COPY" && !/--from=/.test(i.args))) {
        const sources = copy.args.split(/\s+/).filter((w) => !w.startsWith("--")).slice(0, -1);
        for (const source of sources) {
          expect(existsSync(resolve(root, source)), `COPY ${source}: no such file`).toBe(true);
          expect(ignored(source), `COPY ${source}: excluded by .dockerignore`).toBe(false);
        }
      }
    }
    for (const path of [".env", ".env.production", "key.pem", "keys/app.private-key.pem", "node_modules", "data", "data/bot.db", "test/fixtures", "bench", ".git"]) {
      expect(ignored(path), `${path} must be in .dockerignore`).toBe(true);
    }
  });
});

// ── compose.yaml ─────────────────────────────────────────────────────────────────────────────

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | Array<string | { path: string }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  ports?: Array<string | number | { target?: number }>;
  deploy?: { replicas?: number };
  stop_grace_period?: string;
}
const composeText = read("compose.yaml");
const compose = parse(composeText, { merge: true }) as { services?: Record<string, ComposeService> };
const services = compose.services ?? {};

function environmentOf(service: ComposeService | undefined): Record<string, string> {
  const env = service?.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [e.split("=")[0]!, e.split("=").slice(1).join("=")]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? "" : String(v)]));
}

/** `${NAME}`, `${NAME:-default}`, `${NAME:?message}` → the names. */
const interpolated = (text: string) => [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
/** The value as the container sees it, with each interpolation replaced by a stand-in. */
const substituted = (value: string) => value.replace(/\$\{[^}]*\}/g, "placeholder");

/** Compose durations: 90s, 1m30s, 2m, 1h. */
function seconds(duration: string | undefined): number {
  if (!duration) return 10; // Docker's default
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/g)) {
    total += Number(n) * ({ h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 } as Record<string, number>)[unit!]!;
  }
  return total;
}

const botServices = ["web", "worker"] as const;

describe("compose.yaml", () => {
  it("parses, with postgres, web and worker services", () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(["postgres", "web", "worker"]));
  });

  it("runs PostgreSQL 17 with a healthcheck", () => {
    const pg = services.postgres!;
    expect(pg.image).toMatch(/^postgres:17(\b|$)/);
    const test = pg.healthcheck?.test;
    expect(Array.isArray(test) ? test.join(" ") : test).toMatch(/pg_isready/);
  });

  it("builds web and worker from the one Dockerfile, as ROLE=web and ROLE=worker", () => {
    const [web, worker] = [services.web!, services.worker!];
    expect(web.image).toBeDefined();
    expect(worker.image).toBe(web.image);
    for (const service of [web, worker]) {
      const context = typeof service.build === "string" ? service.build : (service.build?.context ?? ".");
      const file = typeof service.build === "object" ? (service.build.dockerfile ?? "Dockerfile") : "Dockerfile";
      expect(service.build, "each bot service can build the image").toBeDefined();
      expect(existsSync(resolve(root, context, file))).toBe(true);
    }
    expect(environmentOf(web).ROLE).toBe("web");
    expect(environmentOf(worker).ROLE).toBe("worker");
    expect(worker.deploy?.replicas ?? 1).toBeGreaterThanOrEqual(2);
  });

  it("points DATABASE_URL at the postgres service's user and database", () => {
    const pgEnv = environmentOf(services.postgres);
    for (const name of botServices) {
      const raw = environmentOf(services[name]).DATABASE_URL;
      expect(raw, `${name} sets DATABASE_URL`).toBeDefined();
      const url = new URL(substituted(raw!));
      expect(url.protocol).toMatch(/^postgres(ql)?:$/);
      expect(url.hostname).toBe("postgres");
      expect(url.username).toBe(pgEnv.POSTGRES_USER ?? "postgres");
      expect(url.pathname.slice(1)).toBe(pgEnv.POSTGRES_DB ?? pgEnv.POSTGRES_USER ?? "postgres");
      // The same password: the same interpolated variable on both sides.
      expect(interpolated(raw!)).toEqual(interpolated(pgEnv.POSTGRES_PASSWORD ?? ""));
    }
  });

  it("reads .env and starts the bot only once PostgreSQL is healthy", () => {
    for (const name of botServices) {
      const service = services[name]!;
      const files = [service.env_file ?? []].flat().map((f) => (typeof f === "string" ? f : f.path));
      expect(files).toContain(".env");
      const dependsOn = service.depends_on;
      expect(dependsOn && !Array.isArray(dependsOn) ? dependsOn.postgres?.condition : undefined).toBe("service_healthy");
    }
  });

  it("gives a stopping process more time than SHUTDOWN_GRACE_SECONDS plus the queue's drain", () => {
    for (const name of botServices) {
      const configured = environmentOf(services[name]).SHUTDOWN_GRACE_SECONDS;
      const grace = Number(shape.SHUTDOWN_GRACE_SECONDS!.safeParse(configured).data);
      expect(grace).toBeGreaterThan(0);
      // create-dependencies' stop(): the grace period, then up to 10 s more for the queue to drain.
      expect(seconds(services[name]!.stop_grace_period)).toBeGreaterThan(grace + 10);
    }
  });

  it("publishes the web port only, on the port the bot listens on", () => {
    const web = services.web!;
    const port = environmentOf(web).PORT ?? "3000";
    const targets = (web.ports ?? []).map((p) => (typeof p === "object" ? String(p.target) : String(p).split(":").at(-1)!.split("/")[0]!));
    expect(targets).toContain(port);
    expect(services.worker!.ports ?? []).toEqual([]);
    for (const name of botServices) expect(["0.0.0.0", "::", undefined]).toContain(environmentOf(services[name]).HOST);
  });

  it("sets only variables the bot reads, with valid values", () => {
    for (const name of botServices) {
      for (const [key, value] of Object.entries(environmentOf(services[name]))) {
        expect(schemaVars.has(key), `${name}: ${key} is not in src/config/env.ts's envSchema`).toBe(true);
        expect(shape[key]!.safeParse(substituted(value)).success, `${name}: ${key}=${value}`).toBe(true);
      }
    }
  });

  it("mentions (and interpolates) only the bot's variables and the postgres image's own", () => {
    const postgresVars = new Set(Object.keys(environmentOf(services.postgres)));
    const unknown = mentionedVariables(composeText).filter((v) => !schemaVars.has(v) && !postgresVars.has(v));
    expect(unknown).toEqual([]);
    expect(interpolated(composeText).filter((v) => !schemaVars.has(v) && !postgresVars.has(v))).toEqual([]);
  });
});

// ── docs ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Environment variables the docs may name although the bot does not read them, each for a reason.
 * Anything else that looks like a variable must be in envSchema.
 */
const NOT_THE_BOTS = new Set([
  "NODE_ENV", // set by the image; Probot and the logger read it
  "GH_ORG", // Probot's registration flow: register the app under an organisation
  ...Object.keys(environmentOf(services.postgres)), // compose's PostgreSQL (POSTGRES_PASSWORD …)
]);

/** UPPER_SNAKE names, and NAME= assignments (which catch one-word ones like ROLE=web). */
function mentionedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)) names.add(m[0]);
  for (const m of text.matchAll(/(?<![\w.-])([A-Z][A-Z0-9_]*)=/g)) names.add(m[1]!);
  return [...names];
}

/** Markdown without fenced code blocks (headings and links there are not headings and links). */
function withoutCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, duplicates numbered. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  for (const [, heading] of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = heading!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/<[^>]+>/g, "")
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** Relative links in a markdown text that do not resolve, as "target (why)". */
function brokenLinks(markdown: string, fromDir: string): string[] {
  const broken: string[] = [];
  for (const [, target] of withoutCode(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto: …
    const [pathPart = "", fragment] = target!.split("#");
    const file = pathPart ? resolve(fromDir, decodeURIComponent(pathPart)) : null;
    if (file && !existsSync(file)) {
      broken.push(`${target} (no such file)`);
      continue;
    }
    if (fragment && (!file || (file.endsWith(".md") && statSync(file).isFile()))) {
      const headings = anchors(file ? readFileSync(file, "utf8") : markdown);
      if (!headings.has(decodeURIComponent(fragment).toLowerCase())) broken.push(`${target} (no such heading)`);
    }
  }
  return broken;
}

const docsDir = resolve(root, "docs");
const docs = readdirSync(docsDir)
  .filter((f) => f.endsWith(".md"))
  .map((f) => ({ name: `docs/${f}`, text: readFileSync(resolve(docsDir, f), "utf8") }));

describe("docs", () => {
  it("has the deployment guide and the troubleshooting guide", () => {
    expect(docs.map((d) => d.name)).toEqual(expect.arrayContaining(["docs/deployment.md", "docs/troubleshooting.md"]));
  });

  it.each(docs.map((d) => [d.name, d] as const))("%s: every relative link points at an existing file (and heading)", (_, doc) => {
    expect(brokenLinks(doc.text, docsDir)).toEqual([]);
  });

  it.each(docs.map((d) => [d.name, d] as const))("%s: every variable it names is one the bot reads", (_, doc) => {
    const unknown = mentionedVariables(doc.text).filter((v) => !schemaVars.has(v) && !NOT_THE_BOTS.has(v));
    expect(unknown).toEqual([]);
  });

  it("the README's Deploying section links to the guides", () => {
    const readme = read("README.md");
    const section = /^## Deploying\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? "";
    expect(section).toContain("(docs/deployment.md)");
    expect(section).toContain("(docs/troubleshooting.md)");
    expect(brokenLinks(section, root)).toEqual([]);
  });

  describe("troubleshooting.md", () => {
    const guide = read("docs/troubleshooting.md");
    const flatGuide = guide.replace(/\s+/g, " ");
    const headings = anchors(guide);
    const source = sourceText(resolve(root, "src"));

    it("has a section for each phase a run can fail in and names every error category as reports show it", () => {
      for (const phase of PHASES.filter((p) => p !== "queue")) expect(headings.has(`failed-in-${phase}`), `### Failed in ${phase}`).toBe(true);
      for (const category of Object.keys(ERROR_CATEGORIES)) expect(guide).toContain(`**${category.replace("_", " ")}**`);
    });

    // The guide quotes these messages; if the code's wording changes, the guide must follow.
    it.each([
      "Invalid configuration (see .env.example and the README's configuration reference)",
      "is neither a PEM nor a base64-encoded PEM",
      "refused the App (GET /app answered ",
      "Cannot reach GitHub at ",
      "Could not open the PostgreSQL store at",
      "I only take requests from people with",
      "has used its daily budget",
      "This organisation's installation",
      "**The run was not started:**",
      "E2B rejected the API key: check E2B_API_KEY",
      "is too old for this SDK: rebuild it with npm run template:build",
      "not found: build it with npm run template:build or set E2B_TEMPLATE",
      "retry later or run fewer jobs at once",
      "check that the app is installed on this repository and can read its contents",
      "Could not mint a ",
      "Claude Code was stopped at the run's time limit before it finished.",
      "Claude stopped at the cost limit for this run.",
      "The model API refused the credentials: ",
      "Check that CLAUDE_COMMAND points at the Claude Code CLI in the sandbox.",
      "was pushed, but the pull request could not be opened",
      "The bot was restarted during this run more than once, so it gave up.",
      "re-queueing a run interrupted by a restart",
      "claude-sandbox-bot is ready",
    ])("quotes %j as the code says it", (message) => {
      expect(source).toContain(message);
      expect(flatGuide).toContain(message.replace(/^\*\*|\*\*$/g, "").replace(/:\s*$/, ""));
    });
  });
});

function sourceText(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => readFileSync(resolve(e.parentPath, e.name), "utf8"))
    .join("\n");
}
