import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { envSchema } from "../../src/config/env.ts";

/**
 * Every variable in the env schema is read by the code: a variable that is declared, documented
 * and never read (BRANCH_PREFIX was one) is a promise the bot does not keep. A read is a property
 * access `.NAME` (or `["NAME"]`) in code outside src/config, found with comments and the text of
 * string literals blanked, so a mention in an error message or a doc comment does not count.
 */

const ROOT = join(import.meta.dirname, "../..");
const SRC = join(ROOT, "src");

/**
 * Variables folded by src/config/env.ts into a derived field, which the rest of the code reads
 * instead. Each is checked both ways: env.ts reads the variable, and the field is read outside
 * src/config.
 */
const DERIVED: Record<string, string> = {
  PRIVATE_KEY: "privateKey", // the PEM, inline …
  PRIVATE_KEY_PATH: "privateKey", // … or read from this file
  SANDBOX_COST_PER_SECOND_USD: "sandboxCostPerSecondUsd", // defaults by provider
  LOG_FORMAT: "logFormat", // defaults by NODE_ENV
};

/** The source with comments removed and string/template text blanked (`${…}` expressions kept). */
export function codeOnly(source: string): string {
  let out = "";
  let i = 0;
  const templateDepth: number[] = []; // brace depth at which each open `${` returns to template text
  let braces = 0;
  const skipString = (quote: string) => {
    i++;
    while (i < source.length && source[i] !== quote && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
    i++;
    out += `${quote}${quote}`;
  };
  const skipTemplateText = () => {
    // From just after ` or }: to the closing ` or the next ${.
    while (i < source.length) {
      if (source[i] === "\\") i += 2;
      else if (source[i] === "`") {
        i++;
        out += "`";
        return;
      } else if (source[i] === "$" && source[i + 1] === "{") {
        i += 2;
        out += "${";
        templateDepth.push(braces);
        braces++;
        return;
      } else i++;
    }
  };
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end === -1 ? source.length : end + 2;
      out += " ";
    } else if (c === '"' || c === "'") {
      skipString(c);
    } else if (c === "`") {
      i++;
      out += "`";
      skipTemplateText();
    } else if (c === "{") {
      braces++;
      out += c;
      i++;
    } else if (c === "}") {
      braces--;
      i++;
      if (templateDepth.length && templateDepth.at(-1) === braces) {
        templateDepth.pop();
        out += "}";
        skipTemplateText();
      } else out += c;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

/** True when the code reads `name` as a property: `.name` or `["name"]` / `['name']`. */
export function reads(source: string, name: string): boolean {
  const escaped = name.replace(/[$]/g, "\\$");
  if (new RegExp(`\\.\\s*${escaped}(?![A-Za-z0-9_$])`).test(codeOnly(source))) return true;
  return new RegExp(`\\[\\s*["'\`]${escaped}["'\`]\\s*\\]`).test(source.replace(/\/\/.*$/gm, ""));
}

/** The schema's keys nobody reads: the check itself, over a set of files. */
export function unconsumed(keys: string[], consumers: string[], envSource: string, derived: Record<string, string>): string[] {
  return keys.filter((key) => {
    const field = derived[key];
    if (field) return !(reads(envSource, key) && consumers.some((s) => reads(s, field)));
    return !consumers.some((s) => reads(s, key));
  });
}

const keys = Object.keys(envSchema.shape);
const consumerFiles = tsFiles(SRC).filter((f) => !relative(SRC, f).startsWith("config/"));
const consumers = consumerFiles.map((f) => readFileSync(f, "utf8"));
const envSource = readFileSync(join(SRC, "config/env.ts"), "utf8");

describe("every env-schema variable is read by the code", () => {
  it("finds a read of each key outside src/config (or of the field env.ts derives from it)", () => {
    expect(keys.length).toBeGreaterThan(30);
    expect(consumerFiles.length).toBeGreaterThan(50);
    expect(unconsumed(keys, consumers, envSource, DERIVED)).toEqual([]);
  });

  it("lists only real schema keys as derived, each not otherwise read outside src/config", () => {
    for (const key of Object.keys(DERIVED)) {
      expect(keys).toContain(key);
      // A derived key that is also read directly does not need the exception: drop it from DERIVED.
      expect(consumers.some((s) => reads(s, key))).toBe(false);
    }
  });

  it("the check is real: comments, strings and object keys are not reads; property accesses are", () => {
    const written = [
      `// config.FOO is documented here`,
      `/* config.FOO */ const message = "set config.FOO"; const t = \`see config.FOO and \${"x.FOO"}\`;`,
      `const docs = { FOO: "written, not read" };`,
    ];
    expect(unconsumed(["FOO"], written, "", {})).toEqual(["FOO"]);
    expect(unconsumed(["FOO"], [...written, "const prefix = config.FOO;"], "", {})).toEqual([]);
    expect(unconsumed(["FOO"], ["const v = env?.FOO ?? 1;"], "", {})).toEqual([]);
    expect(unconsumed(["FOO"], ['const v = env["FOO"];'], "", {})).toEqual([]);
    expect(unconsumed(["FOO"], ["const t = `${config.FOO}/x`;"], "", {})).toEqual([]);
    expect(unconsumed(["FOO"], ["const v = config.FOOBAR;"], "", {})).toEqual(["FOO"]);
    // A derived key counts only when env.ts reads it and the derived field is read elsewhere.
    expect(unconsumed(["FOO"], ["use(config.foo);"], "const foo = e.FOO;", { FOO: "foo" })).toEqual([]);
    expect(unconsumed(["FOO"], ["use(config.bar);"], "const foo = e.FOO;", { FOO: "foo" })).toEqual(["FOO"]);
    expect(unconsumed(["FOO"], ["use(config.foo);"], "const foo = 1;", { FOO: "foo" })).toEqual(["FOO"]);
  });
});

/**
 * config/env.ts is the one reader of the environment; the two process entries only hand
 * process.env to it (src/main.ts) or to the CLI's own parser (src/cli/main.ts). Everything else
 * gets what it needs passed in, so no module's behaviour hangs on a variable nobody declared.
 */
const ENV_READERS = ["config/env.ts", "main.ts", "cli/main.ts"];

/** True when the text mentions process.env (`process.env`, `process?.env`, `process["env"]`, `{ env } = process`), comments included. */
export function mentionsProcessEnv(source: string): boolean {
  return /\bprocess\s*\??\.\s*env\b|\bprocess\s*\[\s*["'`]env["'`]\s*\]|\{[^}]*\benv\b[^}]*\}\s*=\s*process\b/.test(source);
}

describe("only config/env.ts reads the environment", () => {
  it("no file in src/ but config/env.ts and the two entry points mentions process.env", () => {
    const files = tsFiles(SRC).map((f) => relative(SRC, f).split("\\").join("/"));
    for (const reader of ENV_READERS) expect(files).toContain(reader);
    const offenders = files.filter((f) => !ENV_READERS.includes(f) && mentionsProcessEnv(readFileSync(join(SRC, f), "utf8")));
    expect(offenders).toEqual([]);
  });

  it("the check is real: each way of reaching process.env is caught, other names are not", () => {
    for (const source of ["const p = process.env.PATH;", "const v = process.env[name];", "const v = process?.env?.X;", 'const e = process["env"];', "const { env } = process;", "/** default: process.env */"]) {
      expect(mentionsProcessEnv(source)).toBe(true);
    }
    for (const source of ["const e = options.env;", "process.exitCode = 1;", "const environment = processEnvironment();", "const { envs } = sandbox;"]) {
      expect(mentionsProcessEnv(source)).toBe(false);
    }
  });
});
