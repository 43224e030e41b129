/**
 * What-if experiment, loaded into the bot with NODE_OPTIONS=--import (never into the product):
 * the embedded store's SQLite in WAL mode with synchronous=NORMAL (no fsync per commit; a commit
 * survives a crash of the process, not of the machine) and each SQL statement prepared once.
 */
import { syncBuiltinESMExports } from "node:module";
import sqlite from "node:sqlite";

const Original = sqlite.DatabaseSync;
class CachedNormalSync extends Original {
  #statements = new Map<string, ReturnType<InstanceType<typeof Original>["prepare"]>>();
  constructor(...args: ConstructorParameters<typeof Original>) {
    super(...args);
    this.exec("PRAGMA synchronous = NORMAL");
  }
  override prepare(sql: string) {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = super.prepare(sql)));
    return statement;
  }
}
(sqlite as { DatabaseSync: typeof Original }).DatabaseSync = CachedNormalSync;
syncBuiltinESMExports();
