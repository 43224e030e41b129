import { describe, expect, it } from "vitest";
import { commentableLines, indexPatches } from "../../src/github/diff-lines.ts";

/** Which lines of a pull request's diff a review comment may be placed on, per side. */

const lines = (patch: string) => {
  const { LEFT, RIGHT } = commentableLines(patch);
  return { LEFT: [...LEFT].sort((a, b) => a - b), RIGHT: [...RIGHT].sort((a, b) => a - b) };
};

describe("commentableLines", () => {
  it.each<[string, string[], { LEFT: number[]; RIGHT: number[] }]>([
    ["one line changed", ["@@ -1 +1 @@", "-a", "+b"], { LEFT: [1], RIGHT: [1] }],
    ["context, a removal and two additions", ["@@ -1,3 +1,4 @@", " one", "-old", "+new", "+added", " three"], { LEFT: [1, 2, 3], RIGHT: [1, 2, 3, 4] }],
    ["a hunk that starts further down, with the function named after the header", ["@@ -40,3 +41,3 @@ function foo() {", " x", "-y", "+Y", " z"], { LEFT: [40, 41, 42], RIGHT: [41, 42, 43] }],
    ["two hunks: numbering restarts at each header", ["@@ -1,2 +1,2 @@", " a", "-b", "+B", "@@ -10,2 +10,3 @@", " x", "+y", " z"], { LEFT: [1, 2, 10, 11], RIGHT: [1, 2, 10, 11, 12] }],
    ["a new file: right side only", ["@@ -0,0 +1,3 @@", "+a", "+b", "+c"], { LEFT: [], RIGHT: [1, 2, 3] }],
    ["a deleted file: left side only", ["@@ -1,2 +0,0 @@", "-a", "-b"], { LEFT: [1, 2], RIGHT: [] }],
    ["\"\\ No newline at end of file\" is no line", ["@@ -1 +1 @@", "-a", "\\ No newline at end of file", "+b", "\\ No newline at end of file"], { LEFT: [1], RIGHT: [1] }],
    ["an empty context line (a blank line in the file)", ["@@ -1,3 +1,3 @@", " a", " ", "-c", "+C"], { LEFT: [1, 2, 3], RIGHT: [1, 2, 3] }],
    ["an added line that looks like a hunk header is still a line", ["@@ -1 +1,2 @@", " a", "+@@ not a header"], { LEFT: [1], RIGHT: [1, 2] }],
  ])("%s", (_name, patch, expected) => {
    expect(lines(patch.join("\n"))).toEqual(expected);
  });
});

describe("indexPatches", () => {
  const patch = "@@ -1 +1 @@\n-a\n+b";
  it.each<[string, Array<{ path: string; patch?: string }>, string[]]>([
    ["a changed file is indexed by its path", [{ path: "src/a.ts", patch }], ["src/a.ts"]],
    ["a renamed file with changes is indexed by its new path", [{ path: "src/new-name.ts", patch }], ["src/new-name.ts"]],
    ["a rename without changes has no patch: no line to comment on", [{ path: "src/moved.ts" }], []],
    ["a binary file has no patch", [{ path: "logo.png" }], []],
    ["an empty patch counts as none", [{ path: "empty.txt", patch: "" }], []],
    ["several files, some without patches", [{ path: "a.ts", patch }, { path: "b.bin" }, { path: "c.ts", patch }], ["a.ts", "c.ts"]],
  ])("%s", (_name, files, expected) => {
    expect([...indexPatches(files).keys()]).toEqual(expected);
  });

  it("keeps each file's lines", () => {
    const index = indexPatches([{ path: "a.ts", patch: "@@ -3,2 +3,2 @@\n x\n-y\n+Y" }, { path: "b.ts", patch }]);
    expect([...index.get("a.ts")!.RIGHT]).toEqual([3, 4]);
    expect([...index.get("b.ts")!.LEFT]).toEqual([1]);
  });
});
