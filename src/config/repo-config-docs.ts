import { z } from "zod";
import { repoConfigSchema } from "./repo-config.ts";

/**
 * Pure generators for the configuration file's docs, both derived from `repoConfigSchema`:
 * the JSON Schema editors use, and the README's reference table. Files are written by
 * scripts/generate-config-docs.ts; test/unit/repo-config.test.ts fails when either drifts.
 */

export const README_START_MARKER = "<!-- repo-config:start -->";
export const README_END_MARKER = "<!-- repo-config:end -->";
export const JSON_SCHEMA_FILE = "schema/claude-sandbox-bot.schema.json";

type JsonSchema = Record<string, unknown>;

/** The schema as the file is written (input side: defaults make keys optional), with `defaultText` metadata kept. */
function annotatedSchema(): JsonSchema {
  // draft-07: the dialect YAML editors (yaml-language-server, JetBrains) support best.
  return z.toJSONSchema(repoConfigSchema, { io: "input", target: "draft-7" }) as JsonSchema;
}

/** The JSON Schema for `.github/claude-sandbox-bot.yml`, for editors and linters. */
export function buildJsonSchema(): JsonSchema {
  // `defaultText` is our docs-only keyword: fold it into the description editors show on hover.
  const fold = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(fold);
    if (!node || typeof node !== "object") return node;
    const out: JsonSchema = {};
    for (const [key, value] of Object.entries(node)) if (key !== "defaultText") out[key] = fold(value);
    const { defaultText, description } = node as { defaultText?: unknown; description?: unknown };
    if (typeof defaultText === "string") out.description = `${typeof description === "string" ? `${description} ` : ""}Default: ${defaultText}.`;
    return out;
  };
  return fold(annotatedSchema()) as JsonSchema;
}

interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
}

/** The README's reference table (the text between the markers, generated-notice included). */
export function buildMarkdownReference(): string {
  const rows: Row[] = [];
  collectRows(annotatedSchema(), "", rows);
  const cell = (text: string) => text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
  return [
    "<!-- generated from src/config/repo-config.ts by `node scripts/generate-config-docs.ts`: do not edit by hand -->",
    "",
    "| key | type | default | meaning |",
    "| --- | --- | --- | --- |",
    ...rows.map((r) => `| \`${r.key}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`),
    // A blank line ends the table before the end marker.
    "",
    "",
  ].join("\n");
}

/** Leaves become rows; plain objects are flattened into `parent.child`, maps into `parent.<name>.child`. */
function collectRows(schema: JsonSchema, prefix: string, rows: Row[], note = ""): void {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  for (const [name, child] of Object.entries(properties)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (isPlainObject(child)) {
      collectRows(child, key, rows, note);
      continue;
    }
    rows.push({ key, type: typeOf(child), default: defaultOf(child, required.has(name)), description: note + String(child.description ?? "") });
    const values = mapValues(child);
    if (values) {
      const options = (values.oneOf ?? values.anyOf) as JsonSchema[] | undefined;
      for (const option of options ?? [values]) {
        const title = typeof option.title === "string" ? `*${option.title}:* ` : "";
        if (isPlainObject(option)) collectRows(option, `${key}.<name>`, rows, title);
      }
    }
  }
}

function isPlainObject(schema: JsonSchema): boolean {
  return schema.type === "object" && typeof schema.properties === "object";
}

/** The value schema of a map (`additionalProperties`), when it is an object worth its own rows. */
function mapValues(schema: JsonSchema): JsonSchema | undefined {
  const values = schema.additionalProperties;
  if (schema.type !== "object" || !values || typeof values !== "object") return undefined;
  const v = values as JsonSchema;
  return v.oneOf || v.anyOf || isPlainObject(v) ? v : undefined;
}

function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => `\`${String(v)}\``).join(" | ");
  if (schema.const !== undefined) return `\`${String(schema.const)}\``;
  switch (schema.type) {
    case "string": {
      if (schema.format === "uri") return "URL";
      return typeof schema.maxLength === "number" && schema.maxLength > 1000 ? `string (at most ${schema.maxLength} characters)` : "string";
    }
    case "integer":
    case "number": {
      const base = schema.type === "integer" ? "integer" : "number";
      if (typeof schema.minimum === "number" && typeof schema.maximum === "number") return `${base}, ${schema.minimum}–${schema.maximum}`;
      if (typeof schema.exclusiveMinimum === "number") return `${base} > ${schema.exclusiveMinimum}`;
      if (typeof schema.minimum === "number") return `${base} ≥ ${schema.minimum}`;
      return base;
    }
    case "boolean":
      return "boolean";
    case "array": {
      const items = (schema.items ?? {}) as JsonSchema;
      const list = `list of ${items.type === "string" ? "strings" : typeOf(items)}`;
      return typeof schema.maxItems === "number" ? `${list} (at most ${schema.maxItems})` : list;
    }
    case "object": {
      const values = schema.additionalProperties;
      if (mapValues(schema)) return "map: name → server";
      if (values && typeof values === "object") return `map: name → ${typeOf(values as JsonSchema)}`;
      return "mapping";
    }
    default:
      return "any";
  }
}

function defaultOf(schema: JsonSchema, required: boolean): string {
  if (typeof schema.defaultText === "string") return schema.defaultText;
  if ("default" in schema) {
    const value = schema.default;
    return Array.isArray(value) && value.length === 0 ? "none" : `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;
  }
  return required ? "— (required)" : "—";
}

/** The README text between the markers, or undefined when a marker is missing. */
export function extractMarkedSection(readme: string, startMarker = README_START_MARKER, endMarker = README_END_MARKER): string | undefined {
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(endMarker);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + startMarker.length, end).replace(/^\r?\n/, "");
}

/** The README with the text between the markers replaced by `content`. */
export function replaceMarkedSection(readme: string, content: string, startMarker = README_START_MARKER, endMarker = README_END_MARKER): string {
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(endMarker);
  if (start < 0 || end < start) {
    throw new Error(`README.md has no ${startMarker} … ${endMarker} section to fill`);
  }
  return `${readme.slice(0, start + startMarker.length)}\n${content}${readme.slice(end)}`;
}
