import { loadConfig } from "../../config/load.js";
import { CutoverError } from "../../errors/index.js";
import { openStore } from "../../store/open.js";
import type { CommandResult } from "../output.js";

/**
 * storeCommand runs `cutover store migrate`: brings the configured store's schema to this
 * cutover's version (the gateway also does it on start) and says what it did. A store already
 * migrated by a newer cutover is refused with CUTOVER_ERR_STORE_SCHEMA.
 */
export async function storeCommand(opts: { config: string; sub: string | undefined }): Promise<CommandResult> {
  if (opts.sub !== "migrate")
    throw new CutoverError("CUTOVER_ERR_USAGE", `usage: cutover store migrate [-c FILE] [--json]`);
  const config = loadConfig(opts.config);
  const store = await openStore(config.store);
  const info = store.info();
  await store.close();
  const { from, to } = info.schema;
  return {
    data: { store: info.kind, location: info.location, from, to, applied: to - from },
    text:
      from === to
        ? `${info.kind} store ${info.location}: schema version ${to}, up to date`
        : `${info.kind} store ${info.location}: migrated schema ${from} → ${to} (${to - from} migration(s))`,
  };
}
