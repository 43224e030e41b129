import { describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../src/config/repo-config.ts";
import { setupInputsChanged } from "../../src/runs/snapshot-policy.ts";

/**
 * Red team (issue 19): `snapshots.setupInputs` globs written by a hostile repository member (write
 * access is enough to change the default branch's config). They are matched in the bot's own
 * process (setup-step.ts → setupInputsChanged, on every file changed since the snapshot), on the
 * event loop that also serves webhooks and every other installation's runs.
 */

const config = (setupInputs: string[]) => parseRepoConfig({ setup: ["npm ci"], snapshots: { setupInputs } });

/** Wall time of one call, in ms. */
function timed(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

describe("red team: hostile snapshots.setupInputs globs", () => {
  it("globs that name paths outside the checkout match nothing and touch no file (matching is on git's names only)", () => {
    // Git only ever names paths inside the checkout, relative and without `..`: such globs never match.
    expect(setupInputsChanged(["package.json", "src/index.js"], ["../**", "/etc/*", "/**/package.json", "../../package.json"])).toBe(false);
    // A catch-all only makes the setup run again every time (what a snapshot-less run does anyway).
    expect(setupInputsChanged(["README.md"], ["**/*"])).toBe(true);
    // More globs than the schema allows are refused with a problem, not matched.
    const many = config(Array.from({ length: 101 }, (_, i) => `dir${i}/**`));
    expect(many.ok).toBe(false);
  });

  // DEFECT: src/config/repo-config.ts accepts any non-empty string as a setupInputs glob (no
  // length or shape limit), and src/runs/snapshot-policy.ts:36 matches with node:path's
  // matchesGlob, whose brace expansion is exponential: `{a,b}` sixteen times (80 characters)
  // blocks the bot's event loop ≈ 44 s per changed file here, twenty times ≈ 10+ minutes, and the
  // config holds 100 such globs. A repository member with write access so stalls every webhook and
  // every installation's runs in that worker (a denial of service across tenants). Fix: bound the
  // glob in the schema (length ≤ 200, no nested/ repeated braces, a cap on `*`), or match with a
  // linear-time matcher (e.g. a glob compiled once to a RegExp without backtracking) in a worker.
  it.fails("the config refuses a glob whose matching is exponential", () => {
    expect(config(["{a,b}".repeat(16)]).ok).toBe(false);
  });

  // DEFECT (the same, as measured): 13 brace pairs already take ≈ 0.5 s of the event loop for one
  // file; each further pair multiplies it by ≈ 3.5.
  it.fails("matching a changed file against any glob the config accepts takes well under 100 ms", () => {
    const glob = "{a,b}".repeat(13);
    expect(config([glob]).ok).toBe(true);
    expect(timed(() => setupInputsChanged(["src/index.js"], [glob]))).toBeLessThan(100);
  });

  // DEFECT (another shape of it): a run of `*a` segments backtracks; 10 of them against a 40-character
  // file name took ≈ 35 s here. Measured with 8 (≈ 0.8 s), to keep the test short.
  it.fails("a glob of many stars takes well under 100 ms against a long file name", () => {
    const glob = `${"a*".repeat(8)}b`;
    expect(config([glob]).ok).toBe(true);
    expect(timed(() => setupInputsChanged(["a".repeat(40)], [glob]))).toBeLessThan(100);
  });
});
