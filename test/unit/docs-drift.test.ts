import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildEnvReference, ENV_END_MARKER, ENV_START_MARKER } from "../../src/config/env-docs.ts";
import { envSchema } from "../../src/config/env.ts";
import { extractMarkedSection } from "../../src/config/repo-config-docs.ts";

/** The README's configuration reference and .env.example must name every variable the schema reads. */
const root = resolve(import.meta.dirname, "../..");
const variables = Object.keys(envSchema.shape);

describe("configuration docs", () => {
  it("the README's environment reference is the one generated from the schema", () => {
    const readme = readFileSync(resolve(root, "README.md"), "utf8");
    expect(extractMarkedSection(readme, ENV_START_MARKER, ENV_END_MARKER), "README.md's environment table is out of date: run `npm run docs:config` and commit the result").toBe(buildEnvReference());
  });

  it.each(["README.md", ".env.example"])("%s documents every environment variable", (file) => {
    const text = readFileSync(resolve(root, file), "utf8");
    const missing = variables.filter((name) => !new RegExp(`\\b${name}\\b`).test(text));
    expect(missing).toEqual([]);
  });
});
