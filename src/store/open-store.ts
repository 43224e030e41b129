import { resolve } from "node:path";
import { openSqliteStore } from "./sqlite-store.ts";
import type { Store } from "./types.ts";

/** DATABASE_URL → a Store. `sqlite:<path>` is the embedded default; Postgres arrives with issue 5. */
export function openStore(databaseUrl: string): Store {
  if (databaseUrl.startsWith("sqlite:")) {
    const path = databaseUrl.slice("sqlite:".length);
    return openSqliteStore(path === ":memory:" ? path : resolve(path));
  }
  throw new Error(
    `DATABASE_URL=${databaseUrl.replace(/\/\/[^@]*@/, "//***@")} is not supported yet: use sqlite:<path> (Postgres support is tracked in issue 5).`,
  );
}
