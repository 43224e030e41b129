import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { buildJsonSchema, buildMarkdownReference, JSON_SCHEMA_FILE, replaceMarkedSection } from "../src/config/repo-config-docs.ts";

/**
 * Regenerates the docs derived from src/config/repo-config.ts: the editor JSON Schema and the
 * README's reference table. Run after changing the schema: `node scripts/generate-config-docs.ts`.
 */

const root = resolve(import.meta.dirname, "..");

const schemaPath = resolve(root, JSON_SCHEMA_FILE);
mkdirSync(dirname(schemaPath), { recursive: true });
writeFileSync(schemaPath, `${JSON.stringify(buildJsonSchema(), null, 2)}\n`);

const readmePath = resolve(root, "README.md");
const readme = readFileSync(readmePath, "utf8");
const updated = replaceMarkedSection(readme, buildMarkdownReference());
if (updated !== readme) writeFileSync(readmePath, updated);

process.stdout.write(`wrote ${JSON_SCHEMA_FILE}${updated !== readme ? " and README.md" : " (README.md unchanged)"}\n`);
