import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Every regular file under `dir` smaller than 5 MB (symlinks not followed): what a test searches for leaked secrets. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) return [];
    return entry.isDirectory() ? filesUnder(path) : statSync(path).size < 5_000_000 ? [path] : [];
  });
}

/** The same files, each with its bytes. */
export function filesWithBytesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  return filesUnder(dir).map((path) => ({ path, bytes: readFileSync(path) }));
}
