import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

/**
 * The PostgreSQL the Postgres tests run against: TEST_DATABASE_URL, or the embedded server the
 * global setup started for this run. Each test gets schemas of its own (random names, dropped
 * afterwards), so test files, and other people's runs on the same database, never meet.
 */
export const TEST_DATABASE_URL = inject("testDatabaseUrl");

/** Fails (never skips) with what to do when the server is not there. */
export async function requirePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${TEST_DATABASE_URL.replace(/\/\/[^@]*@/, "//***@")} (${(error as Error).message}). ` +
        "Unset TEST_DATABASE_URL to use the embedded server the test run starts, or start the server it names.",
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A schema name no one else is using. */
export function freshSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(5).toString("hex")}`;
}

export function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("schema", schema);
  return parsed.toString();
}

export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
