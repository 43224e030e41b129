import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { envSchema } from "../../src/config/env.ts";

/** The README's configuration reference and .env.example must name every variable the schema reads. */
const root = resolve(import.meta.dirname, "../..");
const variables = Object.keys(envSchema.shape);

describe("configuration docs", () => {
  it.each(["README.md", ".env.example"])("%s documents every environment variable", (file) => {
    const text = readFileSync(resolve(root, file), "utf8");
    const missing = variables.filter((name) => !new RegExp(`\\b${name}\\b`).test(text));
    expect(missing).toEqual([]);
  });
});
