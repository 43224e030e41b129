import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAst } from "rolldown/parseAst";
import { describe, expect, it } from "vitest";

/**
 * A function longer than a screen is a sign to name its steps. Every function in src/ stays under
 * 60 lines of its own: the lines of the functions it defines inside (a factory's methods, a
 * callback) count for those, not for it. Parsed with the TypeScript parser vite itself uses.
 */

const MAX_OWN_LINES = 60;
const SRC = join(import.meta.dirname, "../../src");
const FUNCTION_NODES = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null && typeof (value as Node).type === "string";

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** Each function's own line count, with where it starts. */
export function ownLengths(code: string, file: string): Array<{ line: number; lines: number }> {
  const lineStarts = [0];
  for (let i = 0; i < code.length; i++) if (code[i] === "\n") lineStarts.push(i + 1);
  const lineAt = (pos: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const found: Array<{ line: number; lines: number }> = [];
  // Returns the total lines of the functions found at the top of `value` (not inside them).
  const walk = (value: unknown): number => {
    if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + walk(v), 0);
    if (!isNode(value)) return 0;
    const children = Object.entries(value).filter(([key]) => key !== "type");
    const inside = children.reduce((sum, [, v]) => sum + walk(v), 0);
    if (!FUNCTION_NODES.has(value.type)) return inside;
    const lines = lineAt(value.end) - lineAt(value.start) + 1;
    found.push({ line: lineAt(value.start), lines: lines - inside });
    return lines;
  };
  walk(parseAst(code, { lang: "ts" }, file));
  return found;
}

describe("function length", () => {
  it("counts a function's own lines, not those of the functions inside it", () => {
    const code = ["function outer() {", "  const a = 1;", "  const inner = () => {", "    return 2;", "  };", "  return a + inner();", "}"].join("\n");
    const lengths = ownLengths(code, "x.ts");
    expect(lengths).toContainEqual({ line: 3, lines: 3 });
    // outer: 7 lines, of which inner's 3 are its own.
    expect(lengths).toContainEqual({ line: 1, lines: 4 });
  });

  it(`no function in src/ has ${MAX_OWN_LINES} lines of its own or more`, () => {
    const long = tsFiles(SRC).flatMap((file) =>
      ownLengths(readFileSync(file, "utf8"), file)
        .filter((f) => f.lines >= MAX_OWN_LINES)
        .map((f) => `${relative(SRC, file)}:${f.line} (${f.lines} lines)`),
    );
    expect(long).toEqual([]);
  });
});
