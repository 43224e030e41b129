import type { Pull } from "./types.ts";

/** Where a PR's head commit is found in the base repository (a fork's only in refs/pull/N/head). */
export function headRefOf(pull: Pick<Pull, "head" | "headRepo" | "number">): string {
  return pull.headRepo ? `refs/pull/${pull.number}/head` : `refs/heads/${pull.head}`;
}
