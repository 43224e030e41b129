import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * No import cycle runs through src/config or src/triggers (repo-config.ts and the files that read
 * its problems had four, env.ts and sandbox-passthrough.ts one). Type-only imports count: a cycle
 * of types is still two files that cannot be read one without the other.
 */

const SRC = join(import.meta.dirname, "../../src");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

/** The relative .ts files a source imports or re-exports (static imports at a line's start; `import type` included). */
export function importsOf(source: string, file: string): string[] {
  const pattern = /^\s*(?:(?:import|export)\b[^;]*?\bfrom\s*|import\s*)["'](\.{1,2}\/[^"']+\.ts)["']/gms;
  const specifiers = [...source.matchAll(pattern)].map((m) => m[1]!);
  return specifiers.map((s) => resolve(dirname(file), s));
}

/**
 * The cycles a depth-first walk meets (one per edge back into the walk's own path, so every
 * cyclic part of the graph shows at least one), each as its files from where the walk entered it.
 */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string) => {
    const at = path.indexOf(node);
    if (at !== -1) return void found.push(path.slice(at));
    if (done.has(node)) return;
    path.push(node);
    for (const next of graph.get(node) ?? []) visit(next);
    path.pop();
    done.add(node);
  };
  for (const node of graph.keys()) visit(node);
  return found;
}

describe("import cycles", () => {
  it("none runs through src/config or src/triggers", () => {
    const files = tsFiles(SRC);
    const graph = new Map(files.map((f) => [f, importsOf(readFileSync(f, "utf8"), f).filter((i) => i.startsWith(SRC))]));
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
    const ours = cycles(graph)
      .map((cycle) => cycle.map((f) => relative(SRC, f)))
      .filter((cycle) => cycle.some((f) => f.startsWith("config/") || f.startsWith("triggers/")));
    expect(ours).toEqual([]);
  });

  it("the check is real: imports of each form are read, and a cycle is found once", () => {
    const source = [
      'import { a } from "./a.ts";',
      'import type { B } from "../b.ts";',
      "import {\n  c,\n  d,\n} from './c.ts';",
      'export { e } from "./e.ts";',
      'import "./side-effect.ts";',
      'import { z } from "zod";',
      '// import { x } from "./commented.ts"',
    ].join("\n");
    expect(importsOf(source, "/p/q/f.ts")).toEqual(["/p/q/a.ts", "/p/b.ts", "/p/q/c.ts", "/p/q/e.ts", "/p/q/side-effect.ts"]);
    const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
    expect(cycles(graph)).toEqual([["a", "b", "c"]]);
    expect(cycles(new Map([["a", ["b"]], ["b", []]]))).toEqual([]);
  });
});
