import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { buildEnvReference, ENV_END_MARKER, ENV_START_MARKER } from "../src/config/env-docs.ts";
import { buildJsonSchema, buildMarkdownReference, JSON_SCHEMA_FILE, replaceMarkedSection } from "../src/config/repo-config-docs.ts";

/**
 * Regenerates the docs derived from the schemas: the editor JSON Schema and the README's reference
 * tables for the repository config (src/config/repo-config.ts) and the environment
 * (src/config/env-docs.ts). Run after changing the schema: `node scripts/generate-config-docs.ts`.
 */

const root = resolve(import.meta.dirname, "..");

const schemaPath = resolve(root, JSON_SCHEMA_FILE);
mkdirSync(dirname(schemaPath), { recursive: true });
writeFileSync(schemaPath, `${JSON.stringify(buildJsonSchema(), null, 2)}\n`);

const readmePath = resolve(root, "README.md");
const readme = readFileSync(readmePath, "utf8");
const updated = replaceMarkedSection(replaceMarkedSection(readme, buildMarkdownReference()), buildEnvReference(), ENV_START_MARKER, ENV_END_MARKER);
if (updated !== readme) writeFileSync(readmePath, updated);

process.stdout.write(`wrote ${JSON_SCHEMA_FILE}${updated !== readme ? " and README.md" : " (README.md unchanged)"}\n`);
