import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import { storeContract } from "../support/store-contract.ts";

let file = "";
storeContract(
  "SQLite (a real file)",
  async () => {
    file = join(mkdtempSync(join(tmpdir(), "csb-store-")), "nested", "bot.db");
    return openSqliteStore(file);
  },
  async () => openSqliteStore(file),
);
