import type { Logger } from "pino";
import type { StoreConfig } from "../config/schema.js";
import { PostgresStore, type PostgresOptions } from "./postgres.js";
import { SqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

/** openStore opens (and migrates) the configured store: SQLite at once, PostgreSQL after loading it. */
export async function openStore(c: StoreConfig, log?: Logger, pg?: PostgresOptions): Promise<Store> {
  return c.kind === "postgres" ? PostgresStore.open(c.url, log, pg) : new SqliteStore(c.path);
}
