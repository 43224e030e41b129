import { resolve } from "node:path";
import type { Logger } from "pino";
import { openPostgresStore } from "./postgres-store.ts";
import { openSqliteStore } from "./sqlite-store.ts";
import type { Store } from "./types.ts";

/** DATABASE_URL → a Store. `sqlite:<path>` is the embedded default; postgres:// is shared by many processes. */
export async function openStore(databaseUrl: string, log: Logger): Promise<Store> {
  if (databaseUrl.startsWith("sqlite:")) {
    const path = databaseUrl.slice("sqlite:".length);
    return openSqliteStore(path === ":memory:" ? path : resolve(path));
  }
  if (isPostgresUrl(databaseUrl)) return openPostgresStore(databaseUrl, { log });
  throw new Error(
    `DATABASE_URL=${databaseUrl.replace(/\/\/[^@]*@/, "//***@")} is not supported: use sqlite:<path> or postgres://user:password@host:5432/database.`,
  );
}

export function isPostgresUrl(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//.test(databaseUrl);
}
