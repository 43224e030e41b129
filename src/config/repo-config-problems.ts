import { cut } from "../util/cut.ts";
import { fence, inlineCode as code } from "../util/markdown.ts";
import { z } from "zod";
import { MAX_SUGGESTION_KEY_LENGTH } from "./repo-config-limits.ts";
import type { RepoConfigProblem } from "./config-problem.ts";

/**
 * Turning what went wrong with a repository's config file into words: zod's issues with "did you
 * mean" for unknown keys, and the markdown reply for the thread. Only the first few problems are
 * worked out (the rest are counted): the file is outside input and this runs on the event loop.
 */

export interface LoaderProblem {
  problem: RepoConfigProblem;
  /** `owner/repo:path` of the file that failed. */
  source?: string;
  yamlExcerpt?: string;
}

// ---------------------------------------------------------------------------------------------
// Messages

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const KIND: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "`true` or `false`",
  array: "a list",
  object: "a mapping (`key: value` lines)",
  record: "a mapping (`key: value` lines)",
};

function describeValue(value: unknown): string {
  if (value === null) return "nothing (`null`)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the text ${code(cut(JSON.stringify(value), 60))}`;
  if (typeof value === "number") return `the number ${code(String(value))}`;
  if (typeof value === "boolean") return code(String(value));
  return typeof value;
}

/** Per-parse error map: schema-level messages win over it, zod's defaults lose to it. */
export function friendlyMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type": {
      const expected = KIND[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return `is required (${expected})`;
      if (issue.expected === "int" && typeof issue.input === "number") return `must be a whole number, not ${code(String(issue.input))}`;
      return `must be ${expected}, not ${describeValue(issue.input)}`;
    }
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${code(String(issue.values[0]))}`
        : `must be one of ${issue.values.map((v) => code(String(v))).join(", ")}, not ${describeValue(issue.input)}`;
    case "too_small":
      if (issue.origin === "number") return `must be ${issue.inclusive ? "at least" : "greater than"} ${issue.minimum}`;
      if (issue.origin === "array") return `must list at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}`;
      return issue.minimum === 1 ? "must not be empty" : `must be at least ${issue.minimum} characters`;
    case "too_big":
      if (issue.origin === "number") return `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`;
      if (issue.origin === "array") return `must list at most ${issue.maximum} items`;
      return `must be at most ${issue.maximum} characters`;
    case "invalid_union":
      if (issue.note === "No matching discriminator") {
        return "`type` must be `http` or `sse` (a remote server), or `stdio` or absent (a command Claude Code starts)";
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The first `max` problems in detail, and how many there are in all. */
export function collectProblems(issues: readonly Issue[], root: z.core.$ZodType, max: number): { problems: RepoConfigProblem[]; total: number } {
  const problems: RepoConfigProblem[] = [];
  let total = 0;
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        total++;
        if (problems.length < max) problems.push({ path: formatPath([...issue.path, key]), message: unknownKeyMessage(issue.path, key, root) });
      }
      continue;
    }
    total++;
    if (problems.length >= max) continue;
    // A bad record key (an MCP server's name): the key's own check has the useful message.
    if (issue.code === "invalid_key") problems.push({ path: formatPath(issue.path), message: issue.issues[0]?.message ?? issue.message });
    else problems.push({ path: formatPath(issue.path), message: issue.message });
  }
  return { problems, total };
}

function unknownKeyMessage(parent: readonly PropertyKey[], key: string, root: z.core.$ZodType): string {
  // Without `type` a server is taken for a command server, so a remote one's keys look unknown.
  if (parent[0] === "mcpServers" && parent.length === 2 && (key === "url" || key === "headers")) {
    return "unknown key for a command server: a remote server needs `type: http` or `type: sse`";
  }
  const known = knownKeys(parent, root);
  // Bounded: edit distance is quadratic in the key's length.
  const suggestion = key.length <= MAX_SUGGESTION_KEY_LENGTH ? closest(key, known) : undefined;
  if (suggestion) return `unknown key (did you mean ${code(suggestion)}?)`;
  return known.length > 0 ? `unknown key; the keys here are ${known.map((key) => code(key)).join(", ")}` : "unknown key";
}

/** The keys the schema allows at an object path, for "did you mean". */
function knownKeys(path: readonly PropertyKey[], root: z.core.$ZodType): string[] {
  let schemas: z.core.$ZodType[] = [root];
  for (const segment of path) {
    schemas = schemas.flatMap((s) => childSchemas(unwrap(s), segment));
  }
  return [...new Set(schemas.map(unwrap).flatMap((s) => (s instanceof z.ZodObject ? Object.keys(s.shape) : [])))];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodNullable) s = s.unwrap() as z.core.$ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.core.$ZodType;
    else return s;
  }
}

function childSchemas(schema: z.core.$ZodType, segment: PropertyKey): z.core.$ZodType[] {
  if (schema instanceof z.ZodObject) {
    const child = (schema.shape as Record<string, z.core.$ZodType>)[String(segment)];
    return child ? [child] : [];
  }
  if (schema instanceof z.ZodRecord) return [schema.valueType as z.core.$ZodType];
  if (schema instanceof z.ZodArray) return [schema.element as z.core.$ZodType];
  if (schema instanceof z.ZodUnion) return (schema.options as z.core.$ZodType[]).flatMap((o) => childSchemas(unwrap(o), segment));
  return [];
}

function closest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // Close enough to be a typo or a different casing (max_turns → maxTurns).
  const normalise = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  if (best && normalise(best) === normalise(key)) return best;
  return bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

/** Edit distance counting a swap of neighbours as one edit (`lables` → `labels`). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i]![j] = best;
    }
  }
  return at(a.length, b.length);
}

/** `labels.fix`, `env[2]`, `mcpServers.db.url`; odd names quoted: `mcpServers["my server"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string" && /^[A-Za-z_$][\w$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

const MAX_LISTED = 20;

/** `problems` are the ones worked out; `total` counts them all (the reply lists the first 20). */
export function formatProblems(file: string, problems: readonly RepoConfigProblem[], total: number = problems.length): string {
  const shown = problems.slice(0, MAX_LISTED);
  const listed = groupByMessage(shown).map(({ paths, message }) => `- ${paths.map((path) => (path ? code(cut(path, 120)) : "the file")).join(", ")}: ${message}`);
  if (total > shown.length) listed.push(`- … and ${total - shown.length} more`);
  const count = total === 1 ? "a problem" : `${total} problems`;
  return [
    `**The run was not started:** ${code(file)} has ${count}.`,
    "",
    ...listed,
    "",
    `Fix ${total === 1 ? "it" : "them"} in ${code(file)} on the repository's default branch (the only branch the bot reads it from), then trigger the run again. ` +
      "Every key is described in the bot's README under “Per-repository configuration”.",
  ].join("\n");
}

/** Problems that say the same (unknown keys beside each other, with their list of known keys) on one line, in order. */
function groupByMessage(problems: readonly RepoConfigProblem[]): Array<{ paths: string[]; message: string }> {
  const groups = new Map<string, string[]>();
  for (const p of problems) groups.set(p.message, [...(groups.get(p.message) ?? []), p.path]);
  return [...groups].map(([message, paths]) => ({ paths, message }));
}

/** A problem in the repository's own file that stopped reading it (size, YAML, shape). */
export function formatLoaderProblem(file: string, p: LoaderProblem): string {
  const what = p.source ? code(p.source) : code(file);
  const lines = [`**The run was not started:** ${what} could not be read.`, "", `- ${p.problem.path ? code(p.problem.path) : "the file"}: ${p.problem.message}`];
  if (p.yamlExcerpt) lines.push("", fence(p.yamlExcerpt, "text"));
  lines.push(
    "",
    `Fix the file on that repository's default branch (the only branch the bot reads it from), then trigger the run again. ` +
      "A YAML-aware editor or linter shows such mistakes as you type.",
  );
  return lines.join("\n");
}

/**
 * A problem in another repository's file (the owner's `.github` repository): named, never
 * quoted, since this reply may be public and that file not.
 */
export function formatForeignProblem(source: string, what: string): string {
  return [
    `**The run was not started:** ${code(source)}, which this repository's configuration uses, ${what}.`,
    "",
    "Its details are not shown here because the file belongs to another repository. Fix it there (on its default branch), " +
      "or stop using it (`_extends` in this repository's `.github/claude-sandbox-bot.yml`), then trigger the run again.",
  ].join("\n");
}
