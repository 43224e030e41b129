/**
 * Which lines of a pull request a review comment may be placed on: the lines of each file's
 * patch hunks, per side (LEFT = old file, RIGHT = new file). Pure.
 */

export type Side = "LEFT" | "RIGHT";

export function commentableLines(patch: string): { LEFT: Set<number>; RIGHT: Set<number> } {
  const lines = { LEFT: new Set<number>(), RIGHT: new Set<number>() };
  let oldLine = 0;
  let newLine = 0;
  for (const line of patch.split("\n")) {
    const hunk = line.match(/^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      continue;
    }
    if (line.startsWith("\\")) continue; // "\ No newline at end of file"
    if (line.startsWith("+")) lines.RIGHT.add(newLine++);
    else if (line.startsWith("-")) lines.LEFT.add(oldLine++);
    else {
      lines.LEFT.add(oldLine++);
      lines.RIGHT.add(newLine++);
    }
  }
  return lines;
}

export function indexPatches(files: ReadonlyArray<{ path: string; patch?: string | undefined }>): Map<string, ReturnType<typeof commentableLines>> {
  return new Map(files.filter((f) => f.patch).map((f) => [f.path, commentableLines(f.patch!)]));
}
