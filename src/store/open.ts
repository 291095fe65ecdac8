import type { Logger } from "pino";
import type { StoreConfig } from "../config/schema.js";
import { PostgresStore } from "./postgres.js";
import { SqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

/** openStore opens (and migrates) the configured store: SQLite at once, PostgreSQL after loading it. */
export async function openStore(c: StoreConfig, log?: Logger): Promise<Store> {
  return c.kind === "postgres" ? PostgresStore.open(c.url, log) : new SqliteStore(c.path);
}
