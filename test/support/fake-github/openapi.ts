// Holds every REST request the fake receives to GitHub's own OpenAPI description (@octokit/openapi,
// pinned to the version @octokit/openapi-types — and so @octokit/rest — is generated from), so the fake
// cannot accept a request GitHub would refuse: an unknown route, a path or query parameter of the wrong
// shape, a body that fails the operation's schema.
//
// The description is tens of MB: it is parsed once per test module graph, on the first request, and a
// validator is compiled per operation on its first use (cached). Schemas are OpenAPI 3.0: `nullable` is
// rewritten to JSON Schema, `#/components/...` refs are registered with ajv one component at a time.
//
// Not checked here, on purpose (each is handled elsewhere in the fake):
//   - git smart HTTP (/<owner>/<repo>.git/...): not REST; served by the real `git http-backend`.
//   - /api/graphql: not described in the REST description; the fake refuses it and records it as unexpected.
//   - headers (Accept, X-GitHub-Api-Version, Authorization): auth is checked by the fake's router.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// The bot talks to api.github.com, or with GHE_HOST to a GitHub Enterprise Server's /api/v3, which serves
// the same paths: a request must fit both. ghes-3.17 is the oldest GHES this @octokit/openapi describes.
export const DESCRIPTIONS = ["api.github.com", "ghes-3.17"] as const;
export type Description = (typeof DESCRIPTIONS)[number];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

interface Operation {
  method: string;
  template: string;
  segments: string[];
  op: Obj;
  pathParams: Json[];
  /** Literal segments beat parameters, left to right (GitHub's /issues/comments is not /issues/{issue_number}). */
  specificity: string;
}

export interface OpenApiVerdict {
  /** Refuse the request with this status and record `reason` as unexpected. */
  refuse?: { status: 404 | 422; reason: string; message: string };
  /** Accept the request but record this as unexpected (GitHub ignores it; the bot should not send it). */
  note?: string;
  operationId?: string;
}

interface Loaded {
  name: Description;
  doc: Obj;
  ops: Operation[];
  ajv: Ajv;
  added: Set<string>;
  compiled: Map<string, Compiled>;
}

interface Compiled {
  params: Array<{ name: string; in: string; required: boolean; validate: ValidateFunction; schema: Obj }>;
  body: { required: boolean; validate: ValidateFunction | undefined; properties: string[] | undefined; json: boolean } | undefined;
}

const loaded = new Map<Description, Loaded>();
const BASE = "https://openapi.fake-github.invalid/";

function load(name: Description): Loaded {
  const hit = loaded.get(name);
  if (hit) return hit;
  const require = createRequire(import.meta.url);
  const file = require.resolve(`@octokit/openapi/generated/${name}.json`);
  const doc = JSON.parse(readFileSync(file, "utf8")) as Obj;
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(doc["paths"] as Obj)) {
    const pathItem = item as Obj;
    for (const [method, op] of Object.entries(pathItem)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      ops.push({
        method: method.toUpperCase(),
        template,
        segments: template.split("/").filter(Boolean),
        specificity: template.split("/").filter(Boolean).map((x) => (x.startsWith("{") ? "0" : "1")).join(""),
        op: op as Obj,
        pathParams: (pathItem["parameters"] as Json[] | undefined) ?? [],
      });
    }
  }
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false });
  (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  const l: Loaded = { name, doc, ops, ajv, added: new Set(), compiled: new Map() };
  loaded.set(name, l);
  return l;
}

function resolveRef(l: Loaded, v: Json): Obj {
  let o = v as Obj;
  while (typeof o["$ref"] === "string") {
    const parts = (o["$ref"] as string).replace(/^#\//, "").split("/");
    o = parts.reduce<Json>((acc, p) => (acc as Obj)[p.replace(/~1/g, "/").replace(/~0/g, "~")] as Json, l.doc) as Obj;
  }
  return o;
}

/** OpenAPI 3.0 schema → JSON Schema for ajv; component refs are registered lazily under BASE. */
function convert(l: Loaded, s: Json): Json {
  if (Array.isArray(s)) return s.map((x) => convert(l, x));
  if (s === null || typeof s !== "object") return s;
  if (typeof s["$ref"] === "string") {
    const ref = s["$ref"];
    const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
    if (!m) return convert(l, resolveRef(l, s));
    const name = m[1] ?? "";
    const id = `${BASE}schemas/${encodeURIComponent(name)}`;
    if (!l.added.has(id)) {
      l.added.add(id);
      const target = ((l.doc["components"] as Obj)["schemas"] as Obj)[name] as Json;
      l.ajv.addSchema({ ...(convert(l, target) as Obj), $id: id });
    }
    return { $ref: id };
  }
  const out: Obj = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === "nullable" || k === "example" || k === "examples" || k.startsWith("x-")) continue;
    if (k === "properties" || k === "patternProperties") {
      out[k] = Object.fromEntries(Object.entries(v as Obj).map(([pk, pv]) => [pk, convert(l, pv)]));
    } else out[k] = convert(l, v);
  }
  if (typeof out["format"] === "string" && !l.ajv.formats[out["format"]]) l.ajv.addFormat(out["format"], true);
  if (s["nullable"] === true) {
    if (typeof out["type"] === "string") {
      out["type"] = [out["type"], "null"];
      if (Array.isArray(out["enum"]) && !out["enum"].includes(null)) out["enum"] = [...out["enum"], null];
      return out;
    }
    return { anyOf: [{ type: "null" }, out] };
  }
  return out;
}

function compile(l: Loaded, o: Operation): Compiled {
  const key = `${o.method} ${o.template}`;
  const hit = l.compiled.get(key);
  if (hit) return hit;
  const byKey = new Map<string, Obj>();
  for (const p of [...o.pathParams, ...((o.op["parameters"] as Json[] | undefined) ?? [])]) {
    const r = resolveRef(l, p);
    byKey.set(`${String(r["in"])}:${String(r["name"])}`, r);
  }
  const params = [...byKey.values()]
    .filter((p) => p["in"] === "path" || p["in"] === "query")
    .map((p) => {
      const schema = convert(l, (p["schema"] as Json | undefined) ?? {}) as Obj;
      return { name: String(p["name"]), in: String(p["in"]), required: p["required"] === true, schema, validate: l.ajv.compile(schema) };
    });
  let body: Compiled["body"];
  if (o.op["requestBody"]) {
    const rb = resolveRef(l, o.op["requestBody"]);
    const content = (rb["content"] as Obj | undefined) ?? {};
    const media = (content["application/json"] as Obj | undefined) ?? undefined;
    if (media?.["schema"]) {
      const raw = resolveRef(l, media["schema"]);
      const schema = convert(l, media["schema"]) as Obj;
      const combinator = ["allOf", "anyOf", "oneOf"].some((k) => k in raw);
      const props = raw["properties"] && !combinator && raw["additionalProperties"] === undefined ? Object.keys(raw["properties"] as Obj) : undefined;
      body = { required: rb["required"] === true, validate: l.ajv.compile(schema), properties: props, json: true };
    } else body = { required: rb["required"] === true, validate: undefined, properties: undefined, json: false };
  }
  const c = { params, body };
  l.compiled.set(key, c);
  return c;
}

function decode(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

function matchOp(l: Loaded, method: string, raw: string[]): { op: Operation; params: Record<string, string> } | "method" | undefined {
  let best: { op: Operation; params: Record<string, string> } | undefined;
  let otherMethod = false;
  for (const o of l.ops) {
    // Cheap reject first: a template longer than the path, or a first literal that differs.
    if (o.segments.length > raw.length + 1 || o.segments[0] !== raw[0]) continue;
    const params = matchSegments(o.segments, raw);
    if (!params) continue;
    if (o.method !== method) {
      otherMethod = true;
      continue;
    }
    if (!best || o.specificity > best.op.specificity) best = { op: o, params };
  }
  return best ?? (otherMethod ? "method" : undefined);
}

function matchSegments(pattern: string[], raw: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? "";
    const seg = raw[i];
    // GitHub lists a repository's root for an empty contents path (GET /repos/o/r/contents/).
    if (seg === undefined && p === "{path}" && i === pattern.length - 1 && i === raw.length) return { ...params, path: "" };
    if (seg === undefined) return undefined;
    if (p.startsWith("{")) {
      // A trailing {path}/{ref} may hold slashes, as GitHub accepts them unencoded (contents paths, refs).
      const last = i === pattern.length - 1 && (p === "{path}" || p === "{ref}");
      params[p.slice(1, -1)] = last ? raw.slice(i).map(decode).join("/") : decode(seg);
      if (last) return params;
    } else if (p !== seg) return undefined;
  }
  return raw.length === pattern.length ? params : undefined;
}

/** Coerces a path/query string to the schema's JSON type, as GitHub reads them. */
function coerce(value: string, schema: Obj): Json {
  const t = Array.isArray(schema["type"]) ? schema["type"][0] : schema["type"];
  if (t === "integer" || t === "number") return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (t === "boolean") return value === "true" ? true : value === "false" ? false : value;
  if (t === "array") return value.split(",");
  return value;
}

function errorsText(v: ValidateFunction): string {
  return (v.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || "(body)"} ${e.message ?? "is invalid"}${e.params && "allowedValues" in e.params ? ` (${JSON.stringify(e.params["allowedValues"])})` : ""}${e.params && "additionalProperty" in e.params ? ` (${String(e.params["additionalProperty"])})` : ""}`)
    .join("; ");
}

/**
 * Checks one REST request (path below /api/v3, raw — not percent-decoded) against GitHub's description.
 * Returns what GitHub would do with a request it does not accept, and notes for things it silently ignores.
 */
export function checkRequest(method: string, apiPath: string, query: URLSearchParams, body: unknown): OpenApiVerdict {
  const notes: string[] = [];
  let operationId: string | undefined;
  for (const name of DESCRIPTIONS) {
    const v = checkAgainst(load(name), method, apiPath, query, body);
    if (v.refuse) return v;
    operationId ??= v.operationId;
    if (v.note) notes.push(v.note);
  }
  // The descriptions mostly agree, so the same note usually comes from each: say it once, naming both.
  const unique = [...new Set(notes.map((n) => n.replace(/ \((api\.github\.com|ghes-[\d.]+)\)/g, "")))];
  return { ...(operationId ? { operationId } : {}), ...(unique.length ? { note: unique.join("; ") } : {}) };
}

function checkAgainst(l: Loaded, method: string, apiPath: string, query: URLSearchParams, body: unknown): OpenApiVerdict {
  const raw = apiPath.split("/").filter(Boolean);
  const m = matchOp(l, method, raw);
  if (m === undefined || m === "method") {
    const why = m === "method" ? `${method} is not an operation of this path` : "no such route";
    return { refuse: { status: 404, reason: `not in GitHub's OpenAPI description (${l.name}): ${why}`, message: "Not Found" } };
  }
  const operationId = String(m.op.op["operationId"]);
  const c = compile(l, m.op);
  const tag = `${operationId} (${l.name})`;
  for (const p of c.params.filter((x) => x.in === "path")) {
    const v = m.params[p.name] ?? "";
    if (!p.validate(coerce(v, p.schema))) {
      return { operationId, refuse: { status: 404, reason: `path parameter ${p.name}=${JSON.stringify(v)} does not fit ${tag}: ${errorsText(p.validate)}`, message: "Not Found" } };
    }
  }
  const notes: string[] = [];
  const known = new Set(c.params.filter((x) => x.in === "query").map((x) => x.name));
  for (const name of new Set(query.keys())) if (!known.has(name)) notes.push(`query parameter ${name} is not one of ${tag}'s (GitHub ignores it)`);
  for (const p of c.params.filter((x) => x.in === "query")) {
    const v = query.get(p.name);
    if (v === null) {
      if (p.required) return { operationId, refuse: { status: 422, reason: `required query parameter ${p.name} missing for ${tag}`, message: `Invalid request.\n\n"${p.name}" wasn't supplied.` } };
      continue;
    }
    if (!p.validate(coerce(v, p.schema))) {
      return { operationId, refuse: { status: 422, reason: `query parameter ${p.name}=${JSON.stringify(v)} does not fit ${tag}: ${errorsText(p.validate)}`, message: `Invalid request.\n\nInvalid value for "${p.name}".` } };
    }
  }
  if (c.body === undefined) {
    if (body !== undefined && !(typeof body === "object" && body !== null && Object.keys(body).length === 0)) {
      notes.push(`a body was sent to ${tag}, which takes none (GitHub ignores it)`);
    }
  } else if (c.body.json && c.body.validate) {
    if (body === undefined && c.body.required) {
      return { operationId, refuse: { status: 422, reason: `no body for ${tag}, which requires one`, message: "Invalid request.\n\nA body is required." } };
    }
    if (body !== undefined && !c.body.validate(body)) {
      const detail = errorsText(c.body.validate);
      return { operationId, refuse: { status: 422, reason: `body does not fit ${tag}: ${detail}`, message: `Invalid request.\n\n${detail}` } };
    }
    if (body && typeof body === "object" && c.body.properties) {
      const extra = Object.keys(body).filter((k) => !c.body?.properties?.includes(k));
      if (extra.length) notes.push(`body field(s) ${extra.join(", ")} are not in ${tag}'s schema (GitHub ignores them)`);
    }
  }
  return notes.length ? { operationId, note: notes.join("; ") } : { operationId };
}
