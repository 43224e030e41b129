import { parse, YAMLParseError } from "yaml";
import type { RepoConfigProblem } from "./config-problem.ts";
import { MAX_CONFIG_BYTES, MAX_YAML_ALIASES, shapeProblem } from "./repo-config-limits.ts";

/**
 * Reading one config file through the contents API, reading at most MAX_CONFIG_BYTES + 1 bytes
 * of the answer whatever its size, then parsing it as YAML within the bounds of
 * repo-config-limits.ts. Probot's context.config is not used: it reads and parses a file of any
 * size and follows `_extends` into any repository the installation can read.
 */

export interface ConfigFileRef {
  owner: string;
  repo: string;
  path: string;
}

/** The part of an Octokit instance the reader uses (Probot's installation client has it). */
export interface ConfigClient {
  request: {
    (route: string, options?: Record<string, unknown>): Promise<{ data: unknown; headers: Record<string, unknown> }>;
    endpoint: { DEFAULTS: { request?: { fetch?: typeof fetch } } };
  };
}

export type FetchedFile = { kind: "absent" } | { kind: "too-large" } | { kind: "not-a-file" } | { kind: "text"; text: string };

export async function fetchConfigFile(client: ConfigClient, ref: ConfigFileRef): Promise<FetchedFile> {
  const baseFetch = client.request.endpoint.DEFAULTS.request?.fetch ?? globalThis.fetch;
  let response: { data: unknown; headers: Record<string, unknown> };
  try {
    response = await client.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...ref,
      mediaType: { format: "raw" },
      request: { fetch: boundedFetch(baseFetch, MAX_CONFIG_BYTES + 1) },
    });
  } catch (error) {
    if ((error as { status?: number }).status === 404) return { kind: "absent" };
    throw error;
  }
  // A directory or submodule answers with its JSON listing even when raw is asked for.
  if (String(response.headers["content-type"] ?? "").startsWith("application/json")) return { kind: "not-a-file" };
  const bytes = typeof response.data === "string" ? Buffer.from(response.data) : Buffer.from(response.data as ArrayBuffer);
  if (bytes.length > MAX_CONFIG_BYTES) return { kind: "too-large" };
  return { kind: "text", text: bytes.toString("utf8") };
}

/**
 * A fetch whose answer carries at most `limit` bytes of the body: the rest is never read (the
 * stream is canceled), so a huge file costs one bounded read. Answers are returned, not thrown
 * (a thrown error would be retried as a 500 by Octokit's retry plugin).
 */
export function boundedFetch(base: typeof fetch, limit: number): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    if (!response.ok || !response.body) return response;
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
      if (total >= limit) {
        await reader.cancel().catch(() => undefined);
        break;
      }
    }
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    headers.delete("content-encoding");
    return new Response(Buffer.concat(chunks).subarray(0, limit), { status: response.status, statusText: response.statusText, headers });
  };
}

export type ParsedFile = { ok: true; value: Record<string, unknown> | null } | { ok: false; problem: RepoConfigProblem; yamlExcerpt?: string };

/** YAML text → a mapping within the bounds, or the one problem that stops it. Pure. */
export function parseConfigText(text: string): ParsedFile {
  let value: unknown;
  try {
    value = parse(text, { maxAliasCount: MAX_YAML_ALIASES, logLevel: "error", prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    if (!(error instanceof YAMLParseError) && !(error instanceof Error)) throw error;
    return { ok: false, ...yamlProblem(error) };
  }
  if (value === null || value === undefined) return { ok: true, value: null };
  if (typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, problem: { path: "", message: "must be a mapping of keys to values (`key: value` lines), not a single value or a list" } };
  }
  const shape = shapeProblem(value);
  if (shape) return { ok: false, problem: shape };
  return { ok: true, value: value as Record<string, unknown> };
}

function yamlProblem(error: Error): { problem: RepoConfigProblem; yamlExcerpt?: string } {
  const at = (error as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
  // YAMLParseError's message is "<what> at line L, column C:\n\n<excerpt>"; split the two.
  const [headline = error.message, ...rest] = error.message.split(/\n/);
  const what = headline.replace(/ at line \d+, column \d+:?$/, "").slice(0, 300);
  const where = at ? `line ${at.line}, column ${at.col}: ` : "";
  const excerpt = rest.join("\n").replace(/^\n+|\s+$/g, "").slice(0, 1_000);
  return { problem: { path: "", message: `not valid YAML: ${where}${what}` }, ...(excerpt ? { yamlExcerpt: excerpt } : {}) };
}
